/** Error codes the backend returns; the renderer shows `message`, tests match `code`. */
export const ERROR_CODES = [
  'BAD_REQUEST',
  'UNKNOWN_CHANNEL',
  'NOT_FOUND',
  'NO_PROJECT',
  'PROJECT_EXISTS',
  'PROJECT_CORRUPT',
  'PROJECT_TOO_NEW',
  'FORBIDDEN_PATH',
  'BAD_DATASET',
  'BAD_MODEL',
  'JOB_FAILED',
  /** The disk holding the project (or a file being written) has no room left. */
  'DISK_FULL',
  'UNAUTHORIZED',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}
