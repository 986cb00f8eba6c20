// The workflow tests' own Temporal namespace, so their workers never share a task queue with
// other tests. scripts/stack/temporal.sh makes it at `up`; a stack started before that did not,
// so the tests make it themselves when it is missing.
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '@kunlun/contracts';
import { eventually } from '@kunlun/infra/testing';
import { isGrpcServiceError, type Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
// Exported by the SDK for tests that register search attributes (not re-exported from the index).
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';

/** Same default as TEMPORAL_TEST_NAMESPACE in scripts/stack/temporal.sh. */
export const WORKFLOW_TEST_NAMESPACE = process.env.TEMPORAL_TEST_NAMESPACE ?? 'kunlun-workflow-tests';

/** The namespace and the search attributes the workflow upserts, made if missing (the stack may predate them). */
export async function ensureTestNamespace(connection: Connection, namespace: string): Promise<void> {
  const GRPC_NOT_FOUND = 5;
  const GRPC_ALREADY_EXISTS = 6;
  const code = (err: unknown): number | undefined => (isGrpcServiceError(err) ? Number(err.code) : undefined);
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } catch (err) {
    if (code(err) !== GRPC_NOT_FOUND) throw err;
    await connection.workflowService
      .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') })
      .catch((e: unknown) => {
        if (code(e) !== GRPC_ALREADY_EXISTS) throw e;
      });
  }
  // A new namespace (or search attribute) is served once the frontend's namespace cache refreshes (~10 s).
  const served = <T>(what: string, call: () => Promise<T>) => eventually(what, call, 60_000, 250);
  const { customAttributes } = await served(`namespace ${namespace}`, () =>
    connection.operatorService.listSearchAttributes({ namespace }),
  );
  const missing = Object.entries(SEARCH_ATTRIBUTE_REGISTRATIONS).filter(([name]) => !customAttributes?.[name]);
  if (missing.length)
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map(([name, cliType]) => [
          name,
          // 'KeywordList' → 'KEYWORD_LIST', as the SDK spells the types.
          encodeSearchAttributeIndexedValueType(
            cliType.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() as 'KEYWORD',
          )!,
        ]),
      ),
    });
  const probe = Object.keys(SEARCH_ATTRIBUTE_REGISTRATIONS)
    .map((name) => `${name} IS NOT NULL`)
    .join(' OR ');
  await served(`search attributes of ${namespace}`, () =>
    connection.workflowService.countWorkflowExecutions({ namespace, query: probe }),
  );
}
