// Every patch the simulation workflow checks, in the order they were added. Each keeps the
// histories of the code before it replaying (test/histories, one label per code version).
/** Pause/resume publish simulation.paused / simulation.resumed events (added after v1 histories). */
export const CONTROL_EVENTS_PATCH = 'control-events-v1';
/** A pause or override that arrived while a round child was starting is sent to it once started. */
export const SYNC_STARTED_CHILD_PATCH = 'sync-started-child-v1';
/** A decided approval checkpoint (by a person or by its deadline) publishes approval.decided. */
export const APPROVAL_EVENTS_PATCH = 'approval-events-v1';
/** A boundary pause asked for while no round runs holds before the next round starts. */
export const BOUNDARY_PAUSE_PATCH = 'boundary-pause-between-rounds-v1';
/** A fast-forward drops a pauseAt on a round it skips (it could never fire) and says so. */
export const FAST_FORWARD_DROPS_PAUSE_AT_PATCH = 'fast-forward-drops-pause-at-v1';
/** Signal twins apply today's control rules (refusals added with the consistency work); older histories keep the old ones. */
export const CONTROL_RULES_V2_PATCH = 'control-rules-v2';
/** Events are published even when the simulation is being cancelled (the stores must not part ways). */
export const PUBLISH_NON_CANCELLABLE_PATCH = 'publish-non-cancellable-v1';
/** A tournament whose winner waits for a person publishes round.branched before the checkpoint. */
export const BRANCHED_BEFORE_CHECKPOINT_PATCH = 'branched-before-checkpoint-v1';
/** The approval policy applies to a tournament's winner (added by 437438a without a patch; see tournament.ts). */
export const WINNER_APPROVAL_PATCH = 'winner-approval-v1';
/** Continuing as new is not a failure (no simulation.failed is published for it). */
export const CONTINUE_AS_NEW_NOT_FAILED_PATCH = 'continue-as-new-not-failed-v1';
/** A pause after the last round holds the final report until resumed (or a backtrack). */
export const HOLD_FINAL_REPORT_PATCH = 'hold-final-report-while-paused-v1';
/** Signal twins check the registry's request schema too, as updates do (older histories: the rules alone). */
export const CONTROL_SCHEMAS_PATCH = 'control-schemas-v1';
/**
 * A run hands over (continues as new) after `continueAsNewAfterControls` handled controls too, and also
 * while paused: history and the server's per-run update count stay bounded however long a person
 * steers a held simulation.
 */
export const HAND_OVER_AFTER_CONTROLS_PATCH = 'hand-over-after-controls-v1';
/**
 * A round cancelled while its critics ran (a backtrack, a cancel) ends cancelled: their cancelled calls are
 * not critics that failed (older histories: the round failed with CriticPolicyNotMet, failing the simulation).
 */
export const CRITICS_CANCELLED_PATCH = 'critics-cancelled-not-failed-v1';
/**
 * The hold after the last round hands over too (after continueAsNewAfterControls controls, or when
 * Temporal suggests it); the last round's critiques travel with it for the report.
 */
export const FINAL_HOLD_HANDS_OVER_PATCH = 'final-hold-hands-over-v1';
/**
 * Held in the middle of a round, the run hands over too: it asks the round child to stop at its held
 * step boundary and return what it did; the next run's child (same id) starts from there.
 */
export const HAND_OVER_MID_ROUND_PATCH = 'hand-over-mid-round-v1';
/**
 * Signal twins of overrideAgent refuse an override once the trail holds OVERRIDE_TRAIL_MAX_BYTES
 * (updates always do: their validators do not replay). Asked only when the trail is full.
 */
export const OVERRIDE_TRAIL_CAP_PATCH = 'override-trail-cap-v1';

/** Budgets: a limit reached pauses the simulation between rounds (only simulations started with budgets). */
export const BUDGETS_PATCH = 'budgets-v1';

/**
 * Round children run quiet (RoundInput.quietProgress): no progress signal per step, which cost the
 * parent and the child a workflow task each; status asks the child, and it answers the parent's syncs.
 */
export const QUIET_PROGRESS_PATCH = 'quiet-round-progress-v1';
