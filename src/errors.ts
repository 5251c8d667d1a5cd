// Errors as values: every failure share-file reports is a ShareFileError with a code, a hint and a cause.

/** Usage errors are the caller's to fix (exit 2); failures come from the machine or the network (exit 1). */
export type ErrorKind = 'usage' | 'failure';

export type ErrorCode =
  | 'BAD_ARGUMENT'
  | 'BAD_PORT'
  | 'BAD_ADDRESS'
  | 'BAD_HOSTNAME'
  | 'BAD_FIREWALL_MODE'
  | 'BAD_PORT_MAP_MODE'
  | 'BAD_URL'
  | 'FILE_MISSING'
  | 'FILE_NOT_REGULAR'
  | 'FILE_EMPTY'
  | 'FILE_UNREADABLE'
  | 'FILE_CHANGED'
  | 'FILE_OUTSIDE_FOLDER'
  | 'TORRENT_UNWRITABLE'
  | 'PORT_BUSY'
  | 'FIREWALL_UNAVAILABLE'
  | 'FIREWALL_FAILED'
  | 'PORT_MAPPING_FAILED'
  | 'NODE_TOO_OLD'
  | 'INTERNAL';

export class ShareFileError extends Error {
  override readonly name = 'ShareFileError';
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  /** What the user can do about it; printed after the message. */
  readonly hint: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { kind?: ErrorKind; hint?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.kind = options.kind ?? 'failure';
    this.hint = options.hint;
  }
}

export function usageError(code: ErrorCode, message: string, hint?: string): ShareFileError {
  return new ShareFileError(code, message, { kind: 'usage', hint });
}

/** Wraps anything thrown into a ShareFileError, keeping the original as the cause. */
export function toShareFileError(error: unknown): ShareFileError {
  if (error instanceof ShareFileError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ShareFileError('INTERNAL', `unexpected error: ${message}`, {
    cause: error,
    hint: 'this is a bug in share-file; please report it with the command you ran',
  });
}

/** The one place that maps errors to exit codes: 2 for usage, 1 for everything else. */
export function exitCodeFor(error: ShareFileError): number {
  return error.kind === 'usage' ? 2 : 1;
}

/** One line: the sentence, then what to do. */
export function formatError(error: ShareFileError): string {
  return error.hint ? `error: ${error.message}; ${error.hint}` : `error: ${error.message}`;
}
