// The signal twins of controls that tests name directly; every other caller uses CONTROL_SIGNALS.
// (The workflows' queries and signals are in workflow-messages.ts.)
import { CONTROL_SIGNALS } from './control-registry.js';

export const pauseSignal = CONTROL_SIGNALS.pause;
export const resumeSignal = CONTROL_SIGNALS.resume;
export const fastForwardSignal = CONTROL_SIGNALS.fastForward;
