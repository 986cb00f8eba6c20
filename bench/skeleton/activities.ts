// The skeleton's activities: the system's names and queues, no-op bodies (small answers shaped
// like the system's, so payloads are of a similar order of size).
const text = (what: string, round: number) =>
  `${what} of round ${round}: a short answer that stands in for the agent's`;

export const skeletonOrchestratorActivities = {
  recordSimulationStarted: async (_: { simulationId: string }) => undefined,
  recordRound: async (_: { simulationId: string; round: number }) => undefined,
  generateFinalReport: async (input: { simulationId: string; rounds: number }) => ({
    simulationId: input.simulationId,
    roundsCompleted: input.rounds,
  }),
};

export const skeletonAgentActivities = {
  analyzeIssue: async (i: { round: number }) => ({ summary: text('analysis', i.round), concepts: ['a', 'b', 'c'] }),
  proposeHypothesis: async (i: { round: number }) => ({ text: text('hypothesis', i.round) }),
  critiqueHypothesis: async (i: { round: number; criticId: string }) => ({
    criticId: i.criticId,
    focus: 'logic',
    severity: 5,
    text: text('critique', i.round),
  }),
  evaluateOutcome: async (i: { round: number }) => ({
    score: 6,
    verdict: 'advanced',
    nextSteps: [text('next step', i.round)],
  }),
};
