"""Errors raised by sfmc-actions, named by what the caller must do about them.

    SfmcActionsError
     ├── ConfigError               the config file is wrong: fix it (carries every problem found)
     ├── SegmentExportError        a Segment Public API export cannot be imported: export it again
     ├── InvalidEventError         an event breaks the Segment Spec: it is rejected, kept with the reason
     ├── FqlSyntaxError            a trigger does not parse: fix the trigger (column + caret line)
     ├── MappingError              a mapping is invalid, or failed while resolving one event
     ├── PayloadValidationError    the mapped payload does not fit the action's fields (Segment's message)
     ├── FieldDefinitionError      action fields Segment's validator would refuse to compile (also a ValueError)
     ├── BatchSizeError            a batch size the action cannot send: pick another (also a ValueError)
     ├── StoreError                the job store cannot be used: fix the database URL or server
     │    └── StoreBusyError       the store did not commit in time (locked, slow): nothing was stored, retry
     ├── DeliveryError             a call to SFMC (or the network) failed
     │    ├── RetryableError       try again later; `retry_after` seconds when SFMC said so
     │    │    └── InDoubtError    the answer was lost after sending: resend only if repeating is harmless
     │    ├── PermanentError       SFMC refused it for good: dead letter with SFMC's message
     │    └── AuthenticationError  the credentials are wrong: fix the settings
     └── raised and caught at one edge, so defined there:
          ├── BodyError            ingest/request_body.py: a request body the API refuses (413, 400, 415)
          ├── WriteKeyError        ingest/write_keys.py: the request names no source (401)
          ├── Throttled            ingest/http_api.py: the source is over its rate limit (429 + Retry-After)
          ├── UnknownActionError   sfmc/actions: no action with that key (also a KeyError)
          ├── SoapFault            sfmc/soap.py: SFMC answered a SOAP call with a fault
          ├── SoapAnswerError      sfmc/soap.py: SFMC's SOAP answer cannot be read
          ├── StartError           service/http.py: the service cannot start (no credentials, port taken)
          ├── SendFailed           cli/send.py: the file or the store cannot be used
          ├── BadRequest           console/reports.py: a console request it cannot answer as asked (400)
          ├── NotFound             console/reports.py: no such subscription or dead letter (404)
          └── EmulatorStartError   cli/emulator.py: bad seed, faults or state file

The emulator is an independent implementation of SFMC and imports nothing from here; the commands that start
it turn its errors into StartError and EmulatorStartError.

No message built here ever contains a secret: callers pass field names and SFMC's own text, never
settings values.
"""

from __future__ import annotations

from dataclasses import dataclass


class SfmcActionsError(Exception):
    """Base of every error this package raises on purpose."""


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in a config file: where it is and how to fix it."""

    file: str
    path: str  # YAML path such as "subscriptions[2].mapping.keys"
    message: str
    line: int | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text}\n  how to fix: {self.hint}" if self.hint else text


class ConfigError(SfmcActionsError):
    """The config file cannot be used. `problems` lists every problem, not just the first."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class SegmentExportError(SfmcActionsError):
    """A file given to `import segment` is not the Segment Public API answer it should be.

    `problems` holds (JSON path, message) pairs such as ("$.data.subscriptions[2].trigger", "this field is
    required"); the messages never show values, which may be credentials.
    """

    def __init__(self, file: str, problems: list[tuple[str, str]], hint: str | None = None) -> None:
        self.file = file
        self.problems = problems
        self.hint = hint
        lines = [f"{file}: {path}: {message}" if path else f"{file}: {message}" for path, message in problems]
        super().__init__("\n".join(lines) + (f"\n  how to fix: {hint}" if hint else ""))


class InvalidEventError(SfmcActionsError):
    """An event does not follow the Segment Spec. `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}" if field else message)


class FqlSyntaxError(SfmcActionsError):
    """A trigger (Segment FQL) does not parse, as Segment's parser would also refuse it."""

    def __init__(self, message: str, fql: str, column: int) -> None:
        self.reason = message
        self.fql = fql
        self.column = column  # 0-based offset into `fql`
        super().__init__(f"{message} at column {column + 1}\n  {fql}\n  {self.caret}")

    @property
    def caret(self) -> str:
        return " " * self.column + "^"


class MappingError(SfmcActionsError):
    """A mapping is invalid (`errors` holds every validation message) or failed on one event."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        self.errors = errors or [message]
        super().__init__(message)


class PayloadValidationError(SfmcActionsError):
    """The mapped payload does not fit the action's fields. The message is Segment's, verbatim."""

    status = 400
    code = "PAYLOAD_VALIDATION_FAILED"


class DeliveryError(SfmcActionsError):
    """A call to SFMC failed. `status` is the HTTP status when there was a response."""

    def __init__(self, message: str, status: int | None = None, body: object = None) -> None:
        self.status = status
        self.body = body
        super().__init__(message)


class RetryableError(DeliveryError):
    """Transient: rate limit, server error, timeout, network. Retry, after `retry_after` s if set."""

    def __init__(
        self, message: str, status: int | None = None, body: object = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status, body)
        self.retry_after = retry_after


class InDoubtError(RetryableError):
    """The request was sent but its answer was lost (read timeout, dropped connection): SFMC may have done it."""


class PermanentError(DeliveryError):
    """SFMC refused the request for good (4xx): resending the same thing cannot succeed."""


class AuthenticationError(DeliveryError):
    """SFMC refused the credentials (token request failed, or 401 after a fresh token)."""


class FieldDefinitionError(SfmcActionsError, ValueError):
    """An action's field definitions cannot be compiled into a validator (an unknown `format`, an unsupported
    condition operator, a schema Ajv's meta-schema refuses): Segment's validator would refuse them too."""


class BatchSizeError(SfmcActionsError, ValueError):
    """A batch size the action cannot send (below 1, or above what the SFMC endpoint takes)."""


class StoreError(SfmcActionsError):
    """The job store cannot be used: bad database URL, unreachable server, or a schema from a newer version."""


class StoreBusyError(StoreError):
    """A write did not commit within its time limit (the store is locked or slow) and was rolled back:
    nothing of it was stored, so sending it again later is safe."""
