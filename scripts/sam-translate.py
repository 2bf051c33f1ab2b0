"""Build layer: the official AWS SAM translator (aws-sam-translator) as a filter — a SAM template as JSON on
standard input, the plain CloudFormation it transforms to as JSON on standard output. Used by
scripts/package-org.mjs; exit 2 when the translator is not installed, 1 when it rejects the template."""

import json
import os
import sys

try:
    from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
except ImportError:
    print(
        "npm run package:org needs the AWS SAM translator for Python: pip install aws-sam-translator",
        file=sys.stderr,
    )
    sys.exit(2)

# The translator writes the partition of this region into the few ARNs it generates (managed policies);
# the caller turns every one of them into ${AWS::Partition}, so the choice of region only has to be valid.
TRANSLATION_REGION = "us-east-1"


def main() -> int:
    os.environ["AWS_DEFAULT_REGION"] = TRANSLATION_REGION
    template = json.load(sys.stdin)
    translator = Translator(managed_policy_map=None, sam_parser=Parser())
    try:
        translated = translator.translate(
            sam_template=template,
            parameter_values={},
            get_managed_policy_map=lambda: get_bundled_managed_policy_map("aws") or {},
        )
    except InvalidDocumentException as error:
        messages = "; ".join(cause.message for cause in error.causes)
        print(f"the SAM translator rejected the template: {messages}", file=sys.stderr)
        return 1
    json.dump(translated, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
