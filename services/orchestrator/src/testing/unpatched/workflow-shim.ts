// Stands in for @temporalio/workflow when bundling "the same change shipped without a patch":
// everything is the real SDK except patched(), which always takes the new code path.
export * from '@temporalio/workflow/lib/index.js';

export function patched(_patchId: string): boolean {
  return true;
}
