// The gateway answers with whole texts: rounds and reports hold claim-checked outputs (a preview
// and a blob reference, see @kunlun/contracts claim-check.ts), expanded here from the blob store.
// Stored JSON without a reference is sent as it is, unparsed (the common case stays cheap).
import { BlobMissingError, BlobStoreError, type ClaimCheck } from '@kunlun/blobs';
import type { FinalReport } from '@kunlun/contracts';
import { ApiError } from './errors.js';

/** Both reference fields (`full`, `hypothesisFull`) as they appear in stored JSON. */
const REFERENCE_MARK = /"(?:full|hypothesisFull)":\{"blob":"sha256:/;

export class ClaimedTexts {
  constructor(private readonly claimCheck: ClaimCheck | undefined) {}

  /** Stored round JSON strings, each with its claim-checked outputs expanded. */
  async rounds(stored: string[]): Promise<string[]> {
    return Promise.all(
      stored.map(async (json) =>
        REFERENCE_MARK.test(json) ? JSON.stringify(await this.guard(() => this.need().expand(JSON.parse(json)))) : json,
      ),
    );
  }

  /** A report with its strongest hypothesis and open critiques whole. */
  async report(report: FinalReport): Promise<FinalReport> {
    if (!REFERENCE_MARK.test(JSON.stringify(report))) return report;
    return this.guard(async () => {
      const check = this.need();
      const expanded = await check.expand(report);
      const strongest = expanded.strongest;
      if (strongest?.hypothesisFull)
        expanded.strongest = { ...strongest, hypothesis: await check.fullText(strongest.hypothesisFull) };
      return expanded;
    });
  }

  private need(): ClaimCheck {
    if (this.claimCheck) return this.claimCheck;
    throw new ApiError(
      503,
      'unavailable',
      'these texts are kept in the blob store, and this gateway has none configured (BLOB_STORE=none)',
    );
  }

  /** Store errors as answers: unreachable → 503 (try again); lost or corrupt → 500 naming the text. */
  private async guard<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof BlobStoreError)) throw err;
      if (err.transient) throw new ApiError(503, 'unavailable', err.message);
      const ref = err instanceof BlobMissingError ? { blob: err.ref.blob, bytes: err.ref.bytes } : undefined;
      throw new ApiError(500, 'internal', `a stored text cannot be read: ${err.message}`, ref);
    }
  }
}
