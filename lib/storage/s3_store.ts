/**
 * S3Store: the Store interface on `@aws-sdk/client-s3` for `s3://bucket/key` locations.
 * Configured from the environment (s3_config.ts) or an injected client/config. Reads are single
 * requests (wrap with withRetries / withEtagPinning / RangeReader for policy); writes go through
 * the multipart writer, whose parts retry individually with `retry` options.
 *
 * @module
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { clip, PreconditionFailedError, StorageError } from "./errors.ts";
import { crc32cBase64 } from "./checksum.ts";
import { isS3, parseLocation, s3Location } from "./location.ts";
import {
  type MultipartWriterOptions,
  stageMultipart,
  uploadTarget,
  writeMultipart,
} from "./multipart_writer.ts";
import { checkParts } from "./parts.ts";
import { checkRange, formatRangeHeader, parseContentRange } from "./range_header.ts";
import type { RetryOptions } from "./retry.ts";
import { MAX_PART_SIZE, PartSizer } from "./part_size.ts";
import { isMissingObject, mapS3Error } from "./s3_errors.ts";
import { IDLE_TIMEOUT_MS, s3ConfigFromEnv, type S3Env, secretsOf } from "./s3_config.ts";
import { fetchGets, type SdkHandler } from "./fetch_gets.ts";
import { readBodyInto } from "./body_into.ts";
import { addSecret } from "./redact.ts";
import type {
  ByteRange,
  CompleteOptions,
  ObjectStat,
  PartResult,
  ReadOptions,
  Store,
  Upload,
  UploadOptions,
  UploadPart,
  UploadRules,
  WriteOptions,
  WritePiece,
  WriteResult,
} from "./store.ts";

/** Options for {@link S3Store}. */
export interface S3StoreOptions extends Omit<MultipartWriterOptions, "signal" | "sizeHint"> {
  /**
   * A ready client (tests, custom middleware). Wins over `clientConfig` and `env`.
   *
   * @internal an `@aws-sdk/client-s3` S3Client
   */
  client?: S3Client;
  /**
   * Extra client config merged over the env-derived one.
   *
   * @internal an `@aws-sdk/client-s3` S3ClientConfig
   */
  clientConfig?: S3ClientConfig;
  /** Environment to read (default Deno.env). */
  env?: S3Env;
  /** Send CRC32C checksums on parts and PUTs (default false; servers without support reject them). */
  checksum?: "CRC32C" | false;
  /** Retry policy for multipart sub-requests and streamed copy reads (default: retry.ts defaults). */
  retry?: RetryOptions;
  /** Reader for copy sources that are not on this S3 endpoint (e.g. a RoutingStore). */
  sourceReader?: Store;
  /**
   * Longest wait (ms) for a GET's headers or its next body bytes before the request fails with
   * a retryable error (default {@link IDLE_TIMEOUT_MS}; only for a client built here).
   */
  idleTimeoutMs?: number;
}

/** Store over S3-compatible object storage (see module docs). */
export class S3Store implements Store {
  /**
   * The SDK client (exposed for tests and admin tasks such as bucket creation).
   *
   * @internal an `@aws-sdk/client-s3` S3Client
   */
  readonly client: S3Client;
  readonly #o: S3StoreOptions;
  readonly #secrets: string[];
  #credentialsKnown?: Promise<void>;

  /** Creates a store; the client is built from `env` + `clientConfig` unless one is given. */
  constructor(options: S3StoreOptions = {}) {
    this.#o = options;
    const env = options.env ?? Deno.env.toObject();
    this.#secrets = secretsOf(env);
    const cfgCreds = options.clientConfig?.credentials as {
      secretAccessKey?: string;
      sessionToken?: string;
    } | undefined;
    if (cfgCreds?.secretAccessKey) this.#secrets.push(cfgCreds.secretAccessKey);
    if (cfgCreds?.sessionToken) this.#secrets.push(cfgCreds.sessionToken);
    for (const secret of this.#secrets) addSecret(secret);
    this.client = options.client ??
      new S3Client({ ...s3ConfigFromEnv(env), ...options.clientConfig });
    if (!options.client) {
      // GETs over fetch (fetch_gets.ts: bodies read into the caller's buffer, no garbage).
      const config = this.client.config as unknown as { requestHandler: SdkHandler };
      config.requestHandler = fetchGets(
        config.requestHandler,
        options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
      );
    }
  }

  /** True if this store serves `location` (`s3://` URLs). */
  static handles(location: string): boolean {
    return isS3(location);
  }

  /** The typed error for an SDK failure, once the credentials in use are in the redaction set. */
  async #err(e: unknown, op: string, location: string, ifMatch = false): Promise<Error> {
    // Resolved on the first failure: every request before it resolved them already (memoized).
    await (this.#credentialsKnown ??= resolvedCredentials(this.client));
    return mapS3Error(e, { op, location, ifMatch, secrets: this.#secrets });
  }

  async stat(location: string, options?: ReadOptions): Promise<ObjectStat | undefined> {
    const { bucket, key } = s3(location);
    try {
      const r = await this.client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: key, IfMatch: options?.ifMatch }),
        {
          abortSignal: options?.signal,
        },
      );
      return { size: r.ContentLength ?? 0, etag: r.ETag ?? "" };
    } catch (e) {
      if (isMissingObject(e)) return undefined;
      throw await this.#err(e, "HeadObject", location, options?.ifMatch !== undefined);
    }
  }

  async read(location: string, options?: ReadOptions): Promise<Uint8Array> {
    const { bucket, key } = s3(location);
    const op = "GetObject";
    try {
      const r = await this.client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: options?.ifMatch }),
        {
          abortSignal: options?.signal,
        },
      );
      const size = r.ContentLength;
      if (size === undefined) return await r.Body!.transformToByteArray();
      const body = new Uint8Array(size);
      const got = await readBodyInto(
        r.Body!.transformToWebStream() as ReadableStream<Uint8Array>,
        body,
      );
      if (got !== size) throw shortBody(location, got, size);
      return body;
    } catch (e) {
      throw await this.#err(e, op, location, options?.ifMatch !== undefined);
    }
  }

  async readRange(location: string, range: ByteRange, options?: ReadOptions): Promise<Uint8Array> {
    checkRange(range);
    if (range.length === 0) return new Uint8Array(0);
    const { bucket, key } = s3(location);
    try {
      const r = await this.client.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          Range: formatRangeHeader(range),
          IfMatch: options?.ifMatch,
        }),
        { abortSignal: options?.signal },
      );
      const cr = parseContentRange(r.ContentRange);
      if (!cr || cr.offset !== range.offset) {
        // A server that ignores Range answers 200 with the whole object: never accept that silently.
        await r.Body?.transformToByteArray().catch(() => {});
        throw new StorageError(
          `GetObject ${location}: server ignored the Range header (Content-Range ${
            clip(String(r.ContentRange), 80)
          })`,
          {
            location,
            status: r.$metadata.httpStatusCode,
          },
        );
      }
      if (cr.total !== undefined && range.offset + range.length > cr.total) {
        await r.Body?.transformToByteArray().catch(() => {});
        throw new StorageError(
          `Range ${range.offset}+${range.length} is past the end of ${location} (size ${cr.total})`,
          { location, status: 416 },
        );
      }
      // Streamed into the caller's buffer when it has one: no buffer of our own per read.
      const into = options?.into;
      const out = into && into.length >= range.length
        ? into.subarray(0, range.length)
        : new Uint8Array(range.length);
      const got = await readBodyInto(
        r.Body!.transformToWebStream() as ReadableStream<Uint8Array>,
        out,
      );
      if (got !== range.length) throw shortBody(location, got, range.length);
      return out;
    } catch (e) {
      throw await this.#err(e, "GetObject", location, options?.ifMatch !== undefined);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const { bucket, key } = s3(prefix);
    const out: string[] = [];
    let token: string | undefined;
    try {
      do {
        const r = await this.client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token }),
        );
        for (const o of r.Contents ?? []) {
          if (o.Key !== undefined) out.push(s3Location(bucket, o.Key));
        }
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    } catch (e) {
      throw await this.#err(e, "ListObjectsV2", prefix);
    }
    return out.sort();
  }

  async put(location: string, data: Uint8Array, options?: WriteOptions): Promise<WriteResult> {
    const { bucket, key } = s3(location);
    try {
      const r = await this.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: data,
          ContentLength: data.length,
          ContentType: options?.contentType,
          IfNoneMatch: options?.ifNoneMatch ? "*" : undefined,
          ...(this.#o.checksum === "CRC32C" ? { ChecksumCRC32C: crc32cBase64(data) } : {}),
        }),
        { abortSignal: options?.signal },
      );
      return { size: data.length, etag: r.ETag ?? "" };
    } catch (e) {
      throw await this.#err(e, "PutObject", location);
    }
  }

  async write(
    location: string,
    pieces: AsyncIterable<WritePiece>,
    options?: WriteOptions,
  ): Promise<WriteResult> {
    if (options?.ifNoneMatch && (await this.stat(location, { signal: options.signal }))) {
      // Fail fast (a rerun of a finished job is a cheap no-op); CompleteMultipartUpload still
      // carries If-None-Match for the race where the object appears while we upload.
      throw new PreconditionFailedError(`${location} already exists (create-only write)`, {
        location,
        status: 412,
      });
    }
    const target = uploadTarget(this, location, options ?? {}, {
      ...(this.#o.retry ? { retry: this.#o.retry } : { retry: {} }),
      sourceReader: (l) => (isS3(l) ? this : this.#o.sourceReader),
    });
    const tuning = { ...this.#o, sizeHint: options?.sizeHint, signal: options?.signal };
    if (options?.defer) {
      const staged = await stageMultipart(target, pieces, tuning);
      return {
        size: staged.size,
        etag: "",
        staged: { upload: staged.upload, parts: staged.parts },
        requests: staged.requests,
      };
    }
    return await writeMultipart(target, pieces, tuning);
  }

  async delete(location: string): Promise<void> {
    const { bucket, key } = s3(location);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (e) {
      if (isMissingObject(e)) return;
      throw await this.#err(e, "DeleteObject", location);
    }
  }
  async createUpload(location: string, options?: UploadOptions): Promise<Upload> {
    const { bucket, key } = s3(location);
    try {
      const r = await this.client.send(
        new CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          ContentType: options?.contentType,
          ...(this.#crc ? { ChecksumAlgorithm: "CRC32C" as const } : {}),
        }),
        { abortSignal: options?.signal },
      );
      if (!r.UploadId) throw new StorageError(`CreateMultipartUpload ${location}: no UploadId`);
      return { location, uploadId: r.UploadId, initiated: Date.now() };
    } catch (e) {
      throw await this.#err(e, "CreateMultipartUpload", location);
    }
  }

  async uploadPart(
    upload: Upload,
    part: UploadPart,
    options?: { signal?: AbortSignal },
  ): Promise<PartResult> {
    const { bucket, key } = s3(upload.location);
    const { partNumber, offset, body } = part;
    const where = `${upload.location} part ${partNumber}`;
    if (body instanceof Uint8Array) {
      const checksum = this.#crc ? crc32cBase64(body) : undefined;
      try {
        const r = await this.client.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: upload.uploadId,
            PartNumber: partNumber,
            Body: body,
            ContentLength: body.length,
            ...(checksum ? { ChecksumCRC32C: checksum } : {}),
          }),
          { abortSignal: options?.signal },
        );
        return {
          partNumber,
          offset,
          size: body.length,
          etag: r.ETag ?? "",
          ...(r.ChecksumCRC32C ?? checksum
            ? { checksumCRC32C: (r.ChecksumCRC32C ?? checksum)! }
            : {}),
        };
      } catch (e) {
        throw await this.#err(e, "UploadPart", where);
      }
    }
    const src = s3(body.copyFrom);
    try {
      const r = await this.client.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: key,
          UploadId: upload.uploadId,
          PartNumber: partNumber,
          CopySource: `${src.bucket}/${src.key.split("/").map(encodeURIComponent).join("/")}`,
          CopySourceRange: formatRangeHeader(body),
          CopySourceIfMatch: body.ifMatch,
        }),
        { abortSignal: options?.signal },
      );
      const etag = r.CopyPartResult?.ETag;
      if (!etag) {
        throw new StorageError(`UploadPartCopy ${where}: no ETag in reply`, {
          location: upload.location,
          retryable: true,
        });
      }
      return {
        partNumber,
        offset,
        size: body.length,
        etag,
        ...(r.CopyPartResult?.ChecksumCRC32C
          ? { checksumCRC32C: r.CopyPartResult.ChecksumCRC32C }
          : {}),
      };
    } catch (e) {
      throw await this.#err(e, "UploadPartCopy", where, body.ifMatch !== undefined);
    }
  }

  async completeUpload(
    upload: Upload,
    parts: PartResult[],
    options?: CompleteOptions,
  ): Promise<WriteResult> {
    const { bucket, key } = s3(upload.location);
    const size = checkParts(upload, parts);
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    try {
      const r = await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: upload.uploadId,
          IfNoneMatch: options?.ifNoneMatch ? "*" : undefined,
          MultipartUpload: {
            Parts: sorted.map((p) => ({
              PartNumber: p.partNumber,
              ETag: p.etag,
              ...(this.#crc && p.checksumCRC32C ? { ChecksumCRC32C: p.checksumCRC32C } : {}),
            })),
          },
        }),
        { abortSignal: options?.signal },
      );
      return { size, etag: r.ETag ?? "" };
    } catch (e) {
      // A retried Complete whose first attempt did succeed finds the upload gone: when the
      // object is there with the upload's size, the upload is complete.
      if ((e as { name?: string })?.name === "NoSuchUpload") {
        const st = await this.stat(upload.location).catch(() => undefined);
        if (st && st.size === size) return { size, etag: st.etag };
      }
      throw await this.#err(e, "CompleteMultipartUpload", upload.location);
    }
  }

  async abortUpload(upload: Upload): Promise<void> {
    const { bucket, key } = s3(upload.location);
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: upload.uploadId }),
      );
    } catch (e) {
      if ((e as { name?: string })?.name === "NoSuchUpload" || isMissingObject(e)) return;
      throw await this.#err(e, "AbortMultipartUpload", upload.location);
    }
  }

  async listUploads(prefix: string): Promise<Upload[]> {
    const { bucket, key } = s3(prefix);
    const out: Upload[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    try {
      for (let page = 0; page < 10_000; page++) {
        const r = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: bucket,
            Prefix: key,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
        for (const u of r.Uploads ?? []) {
          if (u.Key === undefined || u.UploadId === undefined) continue;
          out.push({
            location: s3Location(bucket, u.Key),
            uploadId: u.UploadId,
            ...(u.Initiated ? { initiated: u.Initiated.getTime() } : {}),
          });
        }
        if (!r.IsTruncated) break;
        keyMarker = r.NextKeyMarker;
        uploadIdMarker = r.NextUploadIdMarker;
      }
    } catch (e) {
      throw await this.#err(e, "ListMultipartUploads", prefix);
    }
    return out;
  }

  async listParts(upload: Upload): Promise<PartResult[] | undefined> {
    const { bucket, key } = s3(upload.location);
    const out: PartResult[] = [];
    let marker: string | undefined;
    try {
      for (let page = 0; page < 100; page++) {
        const r = await this.client.send(
          new ListPartsCommand({
            Bucket: bucket,
            Key: key,
            UploadId: upload.uploadId,
            PartNumberMarker: marker,
          }),
        );
        for (const p of r.Parts ?? []) {
          if (p.PartNumber === undefined) continue;
          out.push({
            partNumber: p.PartNumber,
            offset: -1,
            size: p.Size ?? 0,
            etag: p.ETag ?? "",
            ...(p.ChecksumCRC32C ? { checksumCRC32C: p.ChecksumCRC32C } : {}),
          });
        }
        if (!r.IsTruncated) break;
        marker = r.NextPartNumberMarker;
      }
    } catch (e) {
      throw await this.#err(e, "ListParts", upload.location);
    }
    // Offsets follow from the sizes of the parts before (S3 orders the object by part number).
    out.sort((a, b) => a.partNumber - b.partNumber);
    let at = 0;
    for (const p of out) {
      p.offset = at;
      at += p.size;
    }
    return out;
  }

  uploadRules(): UploadRules {
    const sizer = new PartSizer(this.#o);
    return {
      minPartSize: sizer.minPartSize,
      partSize: sizer.base,
      equalParts: sizer.equalParts,
      minCopySize: Math.max(this.#o.minCopySize ?? sizer.minPartSize, sizer.minPartSize),
      maxCopyPartSize: Math.min(this.#o.maxCopyPartSize ?? MAX_PART_SIZE, MAX_PART_SIZE),
    };
  }

  copiesServerSide(source: string, target: string): boolean {
    return this.#o.serverSideCopy !== false && isS3(source) && isS3(target);
  }

  get #crc(): boolean {
    return this.#o.checksum === "CRC32C";
  }
}

/**
 * Resolves the client's credentials once (the SDK's provider chain: environment, shared
 * credentials file, web identity, container/instance metadata, a Deploy Cloud Connection) and
 * adds their values to the redaction set, so they are redacted wherever they would surface. The
 * SDK memoizes the provider: this is the resolution its requests use. Never throws.
 */
async function resolvedCredentials(client: S3Client): Promise<void> {
  try {
    const provider = client.config.credentials as unknown;
    const c = typeof provider === "function" ? await provider() : provider;
    const creds = (c ?? {}) as {
      accessKeyId?: string;
      secretAccessKey?: string;
      sessionToken?: string;
    };
    addSecret(creds.accessKeyId);
    addSecret(creds.secretAccessKey);
    addSecret(creds.sessionToken);
  } catch {
    // No credentials at all: requests fail with their own (redacted) error.
  }
}

function s3(location: string): { bucket: string; key: string } {
  const p = parseLocation(location);
  if (p.scheme !== "s3") throw new TypeError(`S3Store cannot handle ${location}`);
  return p;
}

function shortBody(location: string, got: number, want: number): StorageError {
  return new StorageError(`Short body from ${location}: ${got} of ${want} bytes`, {
    location,
    retryable: true,
  });
}
