"""``python -m bamboo_engine.builder.bpmn export|import SOURCE [-o TARGET]``: convert between a pipeline
tree (JSON) and BPMN 2.0 XML from the shell; ``-`` or no SOURCE reads standard input."""

import argparse
import json
import sys
from typing import List, Optional

from bamboo_engine.builder.bpmn import BpmnError, bpmn_to_tree, tree_to_bpmn


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bamboo_engine.builder.bpmn", description=__doc__)
    parser.add_argument(
        "direction", choices=("export", "import"), help="export: tree → BPMN; import: BPMN → tree"
    )
    parser.add_argument("source", nargs="?", default="-", help="input file (default: standard input)")
    parser.add_argument("-o", "--output", default="-", help="output file (default: standard output)")
    args = parser.parse_args(argv)
    with sys.stdin if args.source == "-" else open(args.source, encoding="utf-8") as source:
        text = source.read()
    try:
        if args.direction == "export":
            result = tree_to_bpmn(json.loads(text))
        else:
            result = json.dumps(bpmn_to_tree(text), indent=2, ensure_ascii=False)
    except (BpmnError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.output == "-":
        sys.stdout.write(result + "\n")
    else:
        with open(args.output, "w", encoding="utf-8") as target:
            target.write(result + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
