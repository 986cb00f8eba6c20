// Every control of the registry as a validated update (and its signal twin where it has one),
// plus the status query. A request is checked against the registry's schema — the same one
// the gateway applies — and then against the control's state rule.
import {
  CONTROL_NAMES,
  CONTROL_SIGNALS,
  CONTROL_UPDATES,
  CONTROLS,
  parseControlRequest,
  statusQuery,
  type ControlAck,
  type ControlName,
  type ControlRequest,
  type SignalControlName,
} from '@kunlun/contracts';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import { log, patched, setHandler } from '@temporalio/workflow';
import { CONTROL_HANDLERS } from './control-handlers.js';
import { invalidRequest, overrideTrailFull, type ControlView } from './control-rules.js';
import { CONTROL_RULES_V2_PATCH, CONTROL_SCHEMAS_PATCH, OVERRIDE_TRAIL_CAP_PATCH } from './patches.js';
import type { SimulationRun } from './simulation-run.js';

function validate<N extends ControlName>(name: N, view: ControlView, req: ControlRequest<N>, schema: boolean): void {
  if (schema) {
    const parsed = parseControlRequest(name, req);
    if (!parsed.ok) throw invalidRequest(parsed.problem);
  }
  CONTROL_HANDLERS[name].rule(view, req);
}

function registerUpdate<N extends ControlName>(run: SimulationRun, name: N): void {
  const handler = CONTROL_HANDLERS[name];
  const update = CONTROL_UPDATES[name] as UpdateDefinition<ControlAck, [ControlRequest<N>]>;
  setHandler(
    update,
    (req: ControlRequest<N>) => {
      run.controlsHandled++; // a refused update leaves no event: only accepted ones count
      return handler.apply(run, req);
    },
    {
      // Update validators do not run on replay: today's schema applies to every update.
      validator: (req: ControlRequest<N>) =>
        validate(name, { ...run.view(), schemaRules: true, trailCap: true }, req, true),
    },
  );
}

/** Signal twins: same rules; a refused one is logged and dropped (the sender is not waiting). */
function registerSignal<N extends ControlName>(run: SimulationRun, name: N): void {
  const handler = CONTROL_HANDLERS[name];
  const signal = CONTROL_SIGNALS[name as SignalControlName] as SignalDefinition<[ControlRequest<N>]>;
  setHandler(signal, async (req: ControlRequest<N>) => {
    run.controlsHandled++; // in history whether or not it is taken
    try {
      // Signal handlers (and their validation) run again on replay: old histories keep the old rules.
      const view = { ...run.view(), legacyRules: !patched(CONTROL_RULES_V2_PATCH) };
      const schemaRules = !view.legacyRules && patched(CONTROL_SCHEMAS_PATCH);
      // Only an override is held to the trail's bound, and the patch is asked only once the trail
      // is full: other signals do not measure the trail, and histories that never filled it get no marker.
      const trailCap =
        schemaRules &&
        name === 'overrideAgent' &&
        overrideTrailFull(run.overrides) &&
        patched(OVERRIDE_TRAIL_CAP_PATCH);
      validate(name, { ...view, schemaRules, trailCap }, req, schemaRules);
    } catch (err) {
      log.warn(`${name} signal refused`, { reason: (err as Error).message });
      return;
    }
    await handler.apply(run, req);
  });
}

/**
 * Updates first, then signal twins, each in registry order: messages that arrived before the
 * handlers existed are delivered in this order, so it is part of what histories replay.
 */
export function registerControls(run: SimulationRun): void {
  setHandler(statusQuery, () => run.status());
  for (const name of CONTROL_NAMES) registerUpdate(run, name);
  for (const name of CONTROL_NAMES) if (CONTROLS[name].signal) registerSignal(run, name);
}
