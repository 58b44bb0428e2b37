"""A scanner that stops dead in the middle of a pass, for the "SIGKILL mid-pass" test.

``python -m tests.integration.deadline_scanner_probe <timeout|timer> <before|after>`` runs one pass of the
app's real scanner whose first batch, once claimed, is dispatched (``after``) or not (``before``); the
process then writes ``scanner-<mode>.claimed`` (the batch size) into ``$BAMBOO_TEST_PROBE_DIR`` and waits to
be killed, holding its claims and never releasing them.
"""

import os
import sys
import time
from pathlib import Path


def main(app: str, mode: str) -> None:
    import django

    django.setup()
    if app == "timeout":
        from pipeline.contrib.node_timeout import scanning
    else:
        from pipeline.contrib.node_timer_event import scanning
    dispatch = scanning.dispatch_claims
    marker = Path(os.environ["BAMBOO_TEST_PROBE_DIR"]) / f"scanner-{mode}.claimed"

    def dispatch_then_hang(claims):
        if mode == "after":
            dispatch(claims)
        marker.write_text(str(len(claims)))
        while True:
            time.sleep(1)

    scanning.dispatch_claims = dispatch_then_hang
    (scanning.timeout_scanner if app == "timeout" else scanning.timer_scanner)().run_pass()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
