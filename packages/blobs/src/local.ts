// Blobs as files under one directory, for a single machine (tests, a laptop). A write goes to a
// temp file that is synced and then renamed over the final name, so a reader (or a crash) sees
// the whole blob or none of it, never a torn one.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { BlobStoreUnavailableError } from './errors.js';
import { contentAddressedStore, type BlobDriver, type BlobStore } from './store.js';

const errnoOf = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;

/** Creates the directory if needed: from then on, its disappearance means the store is unavailable. */
export function localBlobStore(directory: string): BlobStore {
  const root = resolve(directory);
  const description = `local:${root}`;
  try {
    mkdirSync(root, { recursive: true });
  } catch (err) {
    throw new BlobStoreUnavailableError(description, err instanceof Error ? err.message : String(err), { cause: err });
  }
  const unavailable = (err: unknown) =>
    new BlobStoreUnavailableError(description, err instanceof Error ? err.message : String(err), { cause: err });

  // ENOENT for a blob means "not stored" only while the directory itself is there: a vanished
  // root (an unmounted volume, a wrong path) is a store that is not available, not an empty one.
  async function notFoundOrUnavailable(err: unknown): Promise<void> {
    if (errnoOf(err) !== 'ENOENT') throw unavailable(err);
    try {
      await stat(root);
    } catch (rootErr) {
      throw errnoOf(rootErr) === 'ENOENT'
        ? new BlobStoreUnavailableError(description, `directory ${root} does not exist`, { cause: rootErr })
        : unavailable(rootErr);
    }
  }

  const driver: BlobDriver = {
    description,
    async read(key) {
      try {
        return await readFile(join(root, key));
      } catch (err) {
        await notFoundOrUnavailable(err);
        return undefined;
      }
    },
    async exists(key) {
      try {
        return (await stat(join(root, key))).isFile();
      } catch (err) {
        await notFoundOrUnavailable(err);
        return false;
      }
    },
    async write(key, bytes) {
      const target = join(root, key);
      const temp = join(dirname(target), `.${randomUUID()}.tmp`);
      try {
        await mkdir(dirname(target), { recursive: true });
        const file = await open(temp, 'wx');
        try {
          await file.writeFile(bytes);
          await file.sync();
        } finally {
          await file.close();
        }
        await rename(temp, target);
        await syncDirectory(dirname(target));
      } catch (err) {
        await rm(temp, { force: true }).catch(() => undefined);
        throw unavailable(err);
      }
    },
    close: () => Promise.resolve(),
  };
  return contentAddressedStore(driver);
}

/** Makes the rename itself durable: without it a power cut can forget the new directory entry. */
async function syncDirectory(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
