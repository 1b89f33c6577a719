"""Settings shared by the client, the CLI and the local backend.

Nothing here imports a third-party package: this module is read on the fast path
(`image-skill version`, `--help`).
"""

from __future__ import annotations

#: The npm CLI contract version this client mirrors.
CONTRACT_VERSION = "0.1.30"
#: Version of this Python distribution.
__version__ = "0.1.30"
PACKAGE_NAME = "image-skill"
MODE = "public_hosted_cli"

DEFAULT_BASE_URL = "https://api.image-skill.com"
#: `--api-base-url local` selects the in-process local backend.
LOCAL_BASE_URL_ALIAS = "local"
#: Host used for requests routed to the in-process local backend.
IN_PROCESS_ORIGIN = "http://local.image-skill.invalid"

DOCS_URL = "https://image-skill.com/cli.md"
SKILL_URL = "https://image-skill.com/skill.md"
LLMS_URL = "https://image-skill.com/llms.txt"

# Timeouts, in seconds. Creates (video above all) can take minutes, so the read timeout
# is long; connecting should be quick or fail.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 600.0
WRITE_TIMEOUT = 60.0
POOL_TIMEOUT = 10.0
#: Upper bound for --timeout (one day): larger values overflow the OS timers.
MAX_TIMEOUT = 86400.0

# Automatic retries: only for requests that cannot have spent anything.
MAX_RETRIES = 2
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0

# Environment variables: every module reads the names from here.
TOKEN_ENV = "IMAGE_SKILL_TOKEN"
#: Read only when ``IMAGE_SKILL_TOKEN`` is unset.
HOSTED_TOKEN_ENV = "IMAGE_SKILL_HOSTED_TOKEN"
CONFIG_PATH_ENV = "IMAGE_SKILL_CONFIG_PATH"
BASE_URL_ENV = "IMAGE_SKILL_API_BASE_URL"
DISCOVERY_SOURCE_ENV = "IMAGE_SKILL_DISCOVERY_SOURCE"
#: ``human`` selects human-readable output (``--json``/``--human`` win over it).
FORMAT_ENV = "IMAGE_SKILL_FORMAT"
#: The program prefix of the commands we print (split like a shell would).
COMMAND_PREFIX_ENV = "IMAGE_SKILL_COMMAND_PREFIX"
ALLOW_PRIVATE_NETWORK_ENV = "IMAGE_SKILL_ALLOW_PRIVATE_NETWORK"
#: Set by the guide's signup command: the prompt signup's ``next_step`` reruns the guide with.
GUIDE_PROMPT_ENV = "IMAGE_SKILL_GUIDE_PROMPT"
#: The flag that opts in to private-network URL inputs and downloads.
ALLOW_PRIVATE_NETWORK_FLAG = "--allow-private-network"
#: Overrides the local backend's data directory.
LOCAL_DIR_ENV = "IMAGE_SKILL_LOCAL_DIR"
#: Overrides the base URL of the local backend's owned media links.
LOCAL_MEDIA_BASE_URL_ENV = "IMAGE_SKILL_LOCAL_MEDIA_BASE_URL"
#: Comma-separated fault names the local backend switches on (tests).
LOCAL_FAULTS_ENV = "IMAGE_SKILL_LOCAL_FAULTS"

# Uploads and downloads. One definition for the client's checks and the local backend's.
#: Largest upload (decoded bytes), checked by the client before sending and by the backend.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: The image types ``POST /v1/assets/upload`` accepts.
UPLOAD_MIME_TYPES: tuple[str, ...] = (
    "image/png",
    "image/jpeg",
    "image/webp",
    "image/gif",
    "image/avif",
)
REMOTE_FETCH_TIMEOUT = 30.0
REMOTE_FETCH_MAX_REDIRECTS = 5

#: The anonymous signup (contract 0.1.70 §1.1): a contact inbox is optional.
SIGNUP_SUGGESTED_ARGS = (
    "signup",
    "--agent",
    "--agent-name",
    "NAME",
    "--runtime",
    "RUNTIME",
    "--json",
)

#: The free-text fields of a feedback report (``feedback --command ...``, the body of
#: ``POST /v1/feedback``), in the order the contract lists them.
FEEDBACK_TEXT_FIELDS: tuple[str, ...] = (
    "command",
    "expected",
    "actual",
    "friction",
    "proof_needed",
    "strategic_reason",
)
