// One error type for every edge: `code` is 'area.reason', `retryable` tells callers whether to
// try again, and only `userMessage` is ever shown to a person (CLI output, Slack).

export interface AppErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  userMessage?: string;
}

export class AppError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly userMessage: string;

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.userMessage = options.userMessage ?? message;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Bad input from a person (a file, a flag, a value): exit code 2 in the CLI. */
export function badInput(code: string, message: string, cause?: unknown): AppError {
  return new AppError(code, message, { cause, userMessage: message });
}
