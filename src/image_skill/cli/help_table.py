"""The help table (contract 0.1.70 §9.2): per command key its ``usage``, docs anchor and
the extra keys (flag lists, subcommands, description) that ``help`` returns, plus the root
help's ``commands`` and ``usage``. Data only; see :mod:`image_skill.cli.help`.
"""

from __future__ import annotations

from typing import Any

from image_skill import _constants as C

_D = C.DOCS_URL
_CREDITS = "image-skill credits <methods|packs list|quote|buy|status> --json"
_CLAIM = "image-skill claim request --contact AGENT_OR_OPERATOR_INBOX --json"

#: key -> (usage, anchor, extra keys)
HELP_TABLE: dict[str, tuple[str, str, dict[str, Any]]] = {
    "doctor": (
        "image-skill doctor --json",
        "#image-skill-doctor",
        {
            "description": "Checks that the API answers, which CLI version runs, where a token "
            "would come from, and lists the breadcrumbs of live spends whose outcome is unknown.",
            "optional_flags": ["--sweep-in-flight"],
        },
    ),
    "trust": (
        "image-skill trust --json",
        "#image-skill-trust",
        {
            "description": "Read-only evidence for choosing this tool, no token needed: npm "
            "package provenance, hashes of the hosted contract docs, API health and which "
            "models can run."
        },
    ),
    "signup": (
        "image-skill signup --agent --agent-name NAME --runtime RUNTIME --json",
        "#image-skill-signup-agent",
        {
            "required_flags": ["--agent", "--agent-name", "--runtime"],
            "optional_flags": ["--agent-contact", "--show-token", "--no-save", "--token-stdin"],
        },
    ),
    "claim": (
        _CLAIM,
        "#image-skill-claim-request",
        {"subcommands": ["request"]},
    ),
    "claim request": (
        _CLAIM,
        "#image-skill-claim-request",
        {"required_flags": ["--contact"], "optional_flags": ["--token-stdin"]},
    ),
    "auth": (
        "image-skill auth <status|save|logout> --json",
        "#image-skill-auth",
        {"subcommands": ["status", "save", "logout"]},
    ),
    "auth status": ("image-skill auth status --json", "#image-skill-auth", {}),
    "auth save": ("image-skill auth save --token-stdin --json", "#image-skill-auth", {}),
    "auth logout": ("image-skill auth logout --json", "#image-skill-auth", {}),
    "whoami": ("image-skill whoami --json", "#image-skill-whoami", {}),
    "usage": ("image-skill usage quota --json", "#image-skill-usage", {"subcommands": ["quota"]}),
    "usage quota": ("image-skill usage quota --json", "#image-skill-usage", {}),
    "quota": ("image-skill quota --json", "#image-skill-quota", {}),
    "credits": (
        _CREDITS,
        "#image-skill-credits",
        {"subcommands": ["methods", "packs list", "quote", "buy", "status"]},
    ),
    "credits methods": ("image-skill credits methods", "#image-skill-credits", {}),
    "credits packs": (
        "image-skill credits packs list --json",
        "#image-skill-credits",
        {"subcommands": ["list"]},
    ),
    "credits quote": (
        "image-skill credits quote --pack PACK_ID --payment-method stripe_x402.exact.usdc --json",
        "#image-skill-credits",
        {
            "required_flags": ["--pack or --credits", "--payment-method"],
            "optional_flags": ["--idempotency-key"],
        },
    ),
    "credits buy": (
        "image-skill credits buy --provider stripe_x402 --quote-id QUOTE_ID "
        "--idempotency-key KEY --json",
        "#image-skill-credits",
        {
            "required_flags": ["--provider", "--quote-id", "--idempotency-key"],
            "supported_providers": ["stripe", "stripe_x402"],
        },
    ),
    "credits status": (
        "image-skill credits status --payment-attempt-id PAYMENT_ATTEMPT_ID --json",
        "#image-skill-credits",
        {"required_flags": ["--payment-attempt-id"]},
    ),
    "models": (
        "image-skill models <list|show> --json",
        "#image-skill-models",
        {"subcommands": ["list", "show"]},
    ),
    "models list": (
        "image-skill models list --available --operation image.generate --json",
        "#image-skill-models",
        {
            "optional_flags": [
                "--available",
                "--executable",
                "--catalog-only",
                "--operation",
                "--modality",
                "--provider",
                "--query",
                "--summary",
                "--details",
            ]
        },
    ),
    "models show": ("image-skill models show MODEL_ID --json", "#image-skill-models", {}),
    "capabilities": (
        "image-skill capabilities <list|show> --json",
        "#image-skill-capabilities",
        {"subcommands": ["list", "show"]},
    ),
    "capabilities list": ("image-skill capabilities list --json", "#image-skill-capabilities", {}),
    "capabilities show": (
        "image-skill capabilities show CAPABILITY_ID --json",
        "#image-skill-capabilities",
        {},
    ),
    "create": (
        'image-skill create --prompt "..." --intent explore --max-estimated-usd-per-image 0.07 '
        "--json",
        "#image-skill-create",
        {
            "optional_flags": [
                "--guide",
                "--dry-run",
                "--model",
                "--aspect-ratio",
                "--output-count",
                "--element-frontal",
                "--element-reference",
                "--reference-image",
                "--model-parameters-json",
                "--idempotency-key",
            ]
        },
    ),
    "upload": ("image-skill upload PATH_OR_URL --json", "#image-skill-upload", {}),
    "edit": (
        'image-skill edit --input image_... --prompt "..." --json',
        "#image-skill-edit",
        {
            "required_flags": ["--input"],
            "optional_flags": [
                "--guide",
                "--dry-run",
                "--prompt",
                "--model",
                "--mask",
                "--element-reference",
                "--element-frontal",
                "--reference-image",
                "--model-parameters-json",
                "--idempotency-key",
            ],
        },
    ),
    "assets": (
        "image-skill assets <show|get> ASSET_ID_OR_URL --json",
        "#image-skill-assets",
        {"subcommands": ["show", "get"]},
    ),
    "assets show": ("image-skill assets show ASSET_ID_OR_URL --json", "#image-skill-assets", {}),
    "assets get": (
        "image-skill assets get ASSET_ID_OR_URL --output PATH --json",
        "#image-skill-assets",
        {},
    ),
    "jobs": (
        "image-skill jobs <show|wait> JOB_ID --json",
        "#image-skill-jobs",
        {"subcommands": ["show", "wait"]},
    ),
    "jobs show": ("image-skill jobs show JOB_ID --json", "#image-skill-jobs", {}),
    "jobs wait": (
        "image-skill jobs wait JOB_ID --timeout-ms 30000 --json",
        "#image-skill-jobs",
        {},
    ),
    "activity": (
        "image-skill activity <list|show> --json",
        "#image-skill-activity",
        {"subcommands": ["list", "show"]},
    ),
    "activity list": (
        "image-skill activity list --subject JOB_ID --json",
        "#image-skill-activity",
        {},
    ),
    "activity show": ("image-skill activity show REFERENCE --json", "#image-skill-activity", {}),
    "feedback": (
        "image-skill feedback create --title TITLE --body BODY --json",
        "#image-skill-feedback",
        {"subcommands": ["create"]},
    ),
    "feedback create": (
        "image-skill feedback create --title TITLE --body BODY --type user_feedback --json",
        "#image-skill-feedback",
        {
            "optional_flags": [
                "--title",
                "--body",
                "--type",
                "--severity",
                "--confidence",
                "--expected",
                "--actual",
                "--command",
            ]
        },
    ),
}

#: Root help ``commands`` (0.1.70 §9.2): command words without the program name; ``auth``
#: is left out of the root listing (its entries and the command still exist).
ROOT_COMMANDS = [
    "doctor",
    "trust",
    "signup --agent --agent-name NAME --runtime RUNTIME",
    "claim request --contact INBOX",
    "whoami",
    "usage quota",
    "quota",
    "credits methods",
    "credits quote",
    "credits packs list",
    "credits buy",
    "credits status",
    "capabilities",
    "capabilities list",
    "capabilities show",
    "models",
    "models list",
    "models show",
    "create --guide",
    "image create --guide",
    "video create --guide",
    "audio create --guide",
    "3d create --guide",
    "create --dry-run",
    "create",
    "image edit",
    "upload",
    "edit",
    "assets show",
    "assets get",
    "jobs show",
    "jobs wait",
    "activity list",
    "activity show",
    "feedback create",
]
ROOT_USAGE = (
    "image-skill <doctor|trust|signup|claim|whoami|usage|quota|credits|capabilities|models|"
    "create|upload|edit|assets|jobs|activity|feedback> --json"
)
#: Command words of the npm client that root help does not list (hidden, still usable).
HIDDEN_FROM_ROOT = frozenset({"auth"})
