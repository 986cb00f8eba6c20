// The skeleton's activities: the system's names and queues, no-op bodies (small answers shaped
// like the system's, so payloads are of a similar order of size).
const text = (what: string, round: number) =>
  `${what} of round ${round}: a short answer that stands in for the agent's`;

export const skeletonOrchestratorActivities = {
  recordSimulationStarted: (_: { simulationId: string }) => Promise.resolve(),
  recordRound: (_: { simulationId: string; round: number }) => Promise.resolve(),
  generateFinalReport: (input: { simulationId: string; rounds: number }) =>
    Promise.resolve({ simulationId: input.simulationId, roundsCompleted: input.rounds }),
};

export const skeletonAgentActivities = {
  analyzeIssue: (i: { round: number }) =>
    Promise.resolve({ summary: text('analysis', i.round), concepts: ['a', 'b', 'c'] }),
  proposeHypothesis: (i: { round: number }) => Promise.resolve({ text: text('hypothesis', i.round) }),
  critiqueHypothesis: (i: { round: number; criticId: string }) =>
    Promise.resolve({ criticId: i.criticId, focus: 'logic', severity: 5, text: text('critique', i.round) }),
  evaluateOutcome: (i: { round: number }) =>
    Promise.resolve({ score: 6, verdict: 'advanced', nextSteps: [text('next step', i.round)] }),
};
