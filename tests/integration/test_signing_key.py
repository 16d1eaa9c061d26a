"""The round key as the functions read it: each local AWS's own, however many a process
starts in turn (the local chain's commands, the tests); a short or missing secret is a
clear error, never a link signed with a weak or foreign key."""

from __future__ import annotations

import boto3
import pytest
from danmarkskort.adapters.secrets import SigningKeyError, signing_key
from danmarkskort_tools.local import LocalAws, load_stack
from danmarkskort_tools.local.aws import environment

from tests.conftest import REGION, REPO


def test_each_local_aws_signs_with_its_own_key():
    stack = load_stack(REPO, {"SenderAddress": "a@example.dk"})
    name = stack.physical_name("CommentKey")
    keys = []
    for enforce_iam in (True, True, False, False):
        with LocalAws(stack, enforce_iam=enforce_iam) as aws:
            with aws.acting_as("NotifyMunicipalitiesFunction"):
                key = signing_key(name)
            assert key == aws.secret("CommentKey").encode()
            keys.append(key)
    assert len(set(keys)) == 4  # generated anew for each; none served from another's cache


def test_a_short_or_missing_secret_is_refused(aws):
    client = boto3.client("secretsmanager", region_name=REGION)
    client.create_secret(Name="short", SecretString="x" * 31)
    with pytest.raises(SigningKeyError, match="31 bytes"):
        signing_key("short")
    with pytest.raises(SigningKeyError, match="cannot be read"):
        signing_key("absent")
    with environment({"AWS_ACCESS_KEY_ID": "other"}):
        client.create_secret(Name="long", SecretString="y" * 64)
        assert signing_key("long") == b"y" * 64
