/** The API's error body (algobacktester/api/exceptions.py): a message, a code, and the
 * fields (or graph nodes) at fault. */
export interface FieldError {
  field?: string | null;
  node?: string | null;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: FieldError[];

  constructor(status: number, body: unknown) {
    const b = (body ?? {}) as { detail?: unknown; code?: unknown; errors?: unknown };
    const detail = typeof b.detail === "string" ? b.detail : `Request failed (${status}).`;
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.code = typeof b.code === "string" ? b.code : "error";
    this.errors = Array.isArray(b.errors) ? (b.errors as FieldError[]) : [];
  }

  /** The message for one form field, if the server named it. */
  fieldMessage(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message;
  }
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
