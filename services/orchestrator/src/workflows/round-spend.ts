import { spendOfSteps, usagesOf, type RoundResult, type Spend } from '@kunlun/contracts';

/** What a round's steps cost: as the round said, or (a round recorded before it said) from its steps. */
export function roundSpend(result: RoundResult): Spend {
  return result.spend ?? spendOfSteps(usagesOf(result));
}
