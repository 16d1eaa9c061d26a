"""Thin AWS adapters: the only modules that touch boto3."""
