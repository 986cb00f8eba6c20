// Workflow interceptor of the workflow tests (bundled into their sandbox, never into the service):
// an activity the workflow sends to a named queue (an agent role's) goes to that queue suffixed
// with the workflow's own task queue. Every test process polls an orchestrator queue of its own,
// so processes running the tests at once never execute each other's activities.
import { workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/** The queue a test process polls for activities the workflow sends to `queue`. */
export function isolatedQueue(queue: string, runQueue: string): string {
  return `${queue}@${runQueue}`;
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleActivity: (input, next) =>
        next(
          input.options.taskQueue
            ? {
                ...input,
                options: {
                  ...input.options,
                  taskQueue: isolatedQueue(input.options.taskQueue, workflowInfo().taskQueue),
                },
              }
            : input,
        ),
    },
  ],
});
