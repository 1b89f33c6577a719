"""The English sentences of ``create --guide``.

Keys, codes, labels and command templates follow the contract exactly; these sentences are
our own wording of what each message has to tell the reader (the npm client's literals are
not reused). Names mirror the string ids of the guide digest (§11).
"""

from __future__ import annotations

# selection.reason
#: How to fill the ``image_...`` placeholder of the image-to-3D ``edit`` command.
_INPUT_IMAGE_HOW = (
    " Replace image_... in next_command with the asset_id of an image you own: one from an "
    "earlier create, or from `upload PATH` for a local file."
)
R_REQ_3D = (
    "The requested model is an executable image-to-3D model; it needs one owned image input."
    + _INPUT_IMAGE_HOW
)
R_REQ_EDIT = (
    "The requested model is an executable input-image edit model; it needs one owned image "
    "input." + _INPUT_IMAGE_HOW
)
R_REQ_CREATE = "The requested model is an executable create model."
R_3D = (
    "The prompt asks for a 3D asset, so an executable image-to-3D model was chosen; it needs "
    "one owned image_... asset as input." + _INPUT_IMAGE_HOW
)
R_AUDIO = "The prompt asks for audio, so an executable audio model was chosen."
R_VIDEO = "The prompt asks for video, so an executable video model was chosen."
R_DRAFT = "A low-cost draft model was chosen for this intent; default output settings apply."
R_QUALITY = "The highest-quality model currently available for this intent was chosen."
R_DEFAULT = "The server's default executable model for this kind of media was chosen."
R_FIRST = "None of the preferred models is available; the first executable create model was chosen."
R_FIRST_EDIT = "The first available executable input-image edit model was chosen."

# checks.payments.preferred_method_summary.warning
W_PM_SELF_FUND = (
    "This payment rail needs no browser: a wallet-enabled agent can start and settle the "
    "top-up itself, within the spending cap it was given."
)
W_PM_HUMAN = (
    "This payment rail hands off to a person: a human has to finish the payment in a browser "
    "before any credits are added."
)
W_PM_INSPECT = "Inspect this payment rail before choosing how to top up credits."

# blocker.message
B_PROMPT = "Give a prompt (--prompt) so the guide can build the exact create command."
B_NO_MODEL = "The model registry lists no available, executable create model right now."
B_REQ_MODEL = "The requested model is not an available, executable create model right now"
B_NO_EDIT_MODEL = "The model registry lists no available, executable input-image edit model now."
B_REQ_EDIT_MODEL = (
    "The requested model is not an available, executable input-image edit model right now"
)
B_AUTH = (
    "One signup is needed before any media can be made. It is anonymous: no inbox is asked "
    "for, and a contact can be attached later with `claim request --contact INBOX`."
)
B_SERVICE = "The read-only checks against the API and the model registry could not be completed."


def b_quota(required: str, remaining: str) -> str:
    return f"Creating this image needs {required} credits, but only {remaining} credits are left."


# auth_ready.warning
AR_READY = (
    "Authentication is ready. next_command reuses the current auth context and never prints "
    "the token."
)
AR_NOT_READY = (
    "No usable authentication yet. Run next_command to create a restricted agent identity, "
    "then run the guide again."
)

# self_fund_handoff.warning
SF_AGENT = (
    "Run first_safe_command first: it only lists the payment rails. Browserless top-up: keep "
    "the same auth with the handoff wrapper, run the quote, then buy, pay as wallet_settlement "
    "describes, poll the status command, and run after_next once credits have arrived."
)
SF_HANDOFF = (
    "Run first_safe_command first: it only lists the payment rails. Live-money handoff: keep "
    "the same auth with the handoff wrapper, have the payment completed, then run after_next."
)

SF_SIMULATED = (
    "Run first_safe_command first: it only lists the payment rails. Simulated top-up "
    "(offline backend, no money moves): keep the same auth, run the quote, then buy, complete "
    "the attempt with payment_commands.local_settle (or the local checkout page), check the "
    "status command, and run after_next."
)

# wallet_settlement
WS_NEXT_STEP = (
    "After the buy command, send exactly token_amount_atomic USDC base units to deposit_address "
    "on Base from a wallet you are allowed to use, poll the status command until the credits "
    "land, then run the guide again."
)
WS_NEXT_STEP_SIMULATED = (
    "After the buy command, complete the simulated deposit with payment_commands.local_settle; "
    "no wallet and no real USDC are involved. Then poll the status command and run the guide "
    "again."
)
WS_BOUNDARY = (
    "Never send wallet private keys, seed phrases, x402 payment signatures, Stripe secret keys "
    "or card data to Image Skill; payment secrets stay with the wallet or the payer."
)
WS_WARNING = (
    "This moves real money: pay the exact Base USDC amount to the returned address and stay "
    "within your spending cap."
)
WS_WARNING_SIMULATED = (
    "This rail is simulated by the offline backend: the payable instructions are fake and must "
    "not be paid; local settle stands in for the payment."
)

# next_command_effect.warning
EF_SIGNUP = (
    "Signup only creates a restricted agent identity: no media, no provider call, no payment "
    "and no credit debit."
)
EF_QUOTA = (
    "This can create or inspect a payment quote or attempt. Stay within your spending cap, or "
    "use escape_hatches to look around first."
)
EF_READY = (
    "next_command creates media and can debit credits. For checks that must not spend, run "
    "recommended_no_spend_command instead. Its --output saves the result in the working "
    "directory under a free file name (nothing is overwritten); the reply lists the files "
    "under data.downloads. Later, `assets get ASSET_ID --output PATH` (same program prefix, "
    "ASSET_ID from data.assets[].asset_id of its reply) downloads it again."
)

# no-spend fields
NS_EFFECT = (
    "The dry run may record a job.planned receipt, but it makes no provider call, debits no "
    "credits and writes no media."
)
NS_STOP_REASON = (
    "At ready_to_create, next_command is a live create; an evaluation that must not spend "
    "stops here unless media spend is allowed."
)
NS_WARNING = "To verify without spending at this stage, run recommended_no_spend_command."

# guide_warning.warning
GW_PROMPT = "next_command only runs the free guide again, this time with a real prompt."
GW_READONLY = "next_command only inspects or recovers; it reads and changes nothing."
GW_SIGNUP = "next_command is a setup step (signup) that spends nothing."
GW_QUOTA_SELF_FUND = (
    "next_command starts a browserless live-money top-up. Stay within your spending cap, or "
    "inspect the rails first with escape_hatches.payment_methods."
)
GW_QUOTA_SIMULATED = (
    "next_command starts a simulated top-up on the offline backend: no money moves, and the "
    "payment is completed with self_fund_handoff.payment_commands.local_settle."
)
GW_QUOTA_HUMAN = (
    "next_command starts a live-money handoff that a person must finish in a browser. Stay "
    "within your spending cap, or inspect the rails first with escape_hatches.payment_methods."
)
GW_QUOTA_OTHER = (
    "next_command starts a payment or quota recovery step; look at checks.payments before "
    "running it."
)
GW_READY = (
    "next_command is a live create that spends credits. Run it only when spending is allowed; "
    "otherwise run recommended_no_spend_command."
)

#: Message of the synthetic failure used when a request never produced an envelope.
REQUEST_FAILED = "The request to the API failed before a response arrived."

#: Put in front of a stage warning when next_command still holds placeholders (§4.10).
TEMPLATE_FIRST = (
    "next_command is a template: replace each entry of data.next_command_missing_inputs "
    "before running it. "
)


def template_variant(warning: str) -> str:
    return TEMPLATE_FIRST + warning


# guide_recovery.double_spend_guard.warning
GR_LIVE_CREATE = (
    "next_command is a live create. After a failure or an unknown outcome, do not run it again "
    "until error.recovery, jobs or activity shows what happened; its idempotency key keeps a "
    "same-key retry from charging twice."
)
GR_LIVE_PAYMENT = (
    "self_fund_next_command starts a live-money payment. After a failure or an unknown "
    "outcome, check error.recovery or credits status before running any payment step again."
)
GR_NOTHING_LIVE = "Nothing here spends: no_spend_command can be run again safely after any failure."

# self_fund_preparation
SP_QUOTE_EFFECT = (
    "The quote only creates a payment object with a price; it pays nothing, settles no wallet "
    "transfer, debits no credits, calls no provider and writes no media."
)
SP_READY = (
    "A top-up can be prepared before the free allowance runs out: inspect the rails, then "
    "quote_command opens a quote. Only a later buy or wallet payment spends money, and only "
    "when spending is allowed."
)
SP_UNAVAILABLE = "No payment rail can be quoted right now; nothing needs to be prepared."

# agent_skill.purpose
AGENT_SKILL_PURPOSE = (
    "Read the skill before any paid step: it explains the guide loop, the spend guards and "
    "the payment rails, and reading it spends nothing."
)

# edit --guide pre-flight errors
E_EDIT_GUIDE_DRY_RUN = (
    "edit --guide cannot be combined with --dry-run: the guide never spends; run it without "
    "--dry-run and use the no-spend command it suggests"
)
E_EDIT_GUIDE_REFS = (
    "edit --guide does not take reference flags; add them to the edit --dry-run or edit "
    "command the guide suggests"
)
E_EDIT_GUIDE_OUTPUT = "edit --guide writes no media; drop --output"
