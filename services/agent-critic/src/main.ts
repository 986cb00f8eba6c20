// The critic role's worker deployment: polls its own task queue (see @kunlun/contracts).
import { runAgentService } from '@kunlun/agents';

await runAgentService('critic');
