"""The local AWS: moto resources built from template.yaml, SQS stand-ins for rule targets,
a dispatcher that feeds the real handlers, and a state that keeps it between commands. Used
by `danmarkskort run|demo`, the end-to-end tests and bench/chain.py; never part of a deployed
function.
"""

from danmarkskort_tools.local.aws import LocalAws
from danmarkskort_tools.local.chain import ChainResult, find_root, run_chain, summary
from danmarkskort_tools.local.dispatcher import Dispatcher, Invocation
from danmarkskort_tools.local.state import LocalState, StateError
from danmarkskort_tools.local.template import Stack, TemplateError, load_stack, load_template

__all__ = [
    "ChainResult",
    "Dispatcher",
    "Invocation",
    "LocalAws",
    "LocalState",
    "Stack",
    "StateError",
    "TemplateError",
    "find_root",
    "load_stack",
    "load_template",
    "run_chain",
    "summary",
]
