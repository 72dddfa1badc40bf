"""The client: ``warm_start(...)`` with TensorFlow's signature, a JSON job spec built from TF's
arguments (VocabInfo objects or dicts, regexes or variables), the job run through
``POST /v1/warm-start`` with ``Accept: application/x-ndjson`` (progress lines, then the report),
and HTTP errors mapped to the exceptions TF raises."""
import json
import logging
import os
import urllib.error
import urllib.request

log = logging.getLogger("warm_start_client")

NDJSON = "application/x-ndjson"
VOCAB_FIELDS = ("new_vocab", "new_vocab_size", "num_oov_buckets", "old_vocab", "old_vocab_size",
                "backup_initializer", "axis")


class WarmStartError(RuntimeError):
    """The job failed (the server's error ``type``, ``message``, ``status`` and body are kept)."""

    def __init__(self, message, status=None, body=None):
        super().__init__(message)
        self.status = status
        self.body = body or {}
        error = self.body.get("error", {}) if isinstance(self.body, dict) else {}
        self.type = error.get("type")
        self.code = error.get("code")
        self.field = error.get("field")


class WarmStartValueError(WarmStartError, ValueError):
    """TensorFlow's ValueError cases (HTTP 400 / 422): invalid spec or settings; nothing written."""


class RetryableError(WarmStartError):
    """A transient fault (HTTP 503): running the same job again later may succeed."""

    def __init__(self, message, status=None, body=None, retry_after=None):
        super().__init__(message, status, body)
        self.retry_after = retry_after


def _backup(value):
    """A VocabInfo backup_initializer as the spec's JSON: "zeros", "new" or {"constant": x}."""
    if value is None or value in ("zeros", "new"):
        return value or "zeros"
    if isinstance(value, dict):
        return value
    if isinstance(value, (int, float)):
        return {"constant": float(value)}
    config = value.get_config() if hasattr(value, "get_config") else {}
    cls = type(value).__name__
    # tf.compat.v1.random_uniform_initializer(c, c) (TF's own constant idiom), Constant(c), Zeros.
    lo = config.get("minval", getattr(value, "minval", None))
    hi = config.get("maxval", getattr(value, "maxval", None))
    if lo is not None and lo == hi:
        return {"constant": float(lo)}
    if "Constant" in cls and isinstance(config.get("value"), (int, float)):
        return {"constant": float(config["value"])}
    if "Zeros" in cls:
        return "zeros"
    raise ValueError(
        f"backup_initializer {value!r} cannot be sent to the warm-start function: use None "
        '(zeros), "new", a number, or random_uniform_initializer(c, c) / Constant(c)')


def _vocab_info(name, vi):
    """A tf.compat.v1.train.VocabInfo (any object with its fields) or a dict, as the spec's JSON."""
    if isinstance(vi, dict):
        src = dict(vi)
    else:
        src = {f: getattr(vi, f) for f in VOCAB_FIELDS if hasattr(vi, f)}
    unknown = set(src) - set(VOCAB_FIELDS)
    if unknown:
        raise ValueError(f"var_name_to_vocab_info[{name!r}]: unknown fields {sorted(unknown)}")
    out = {k: v for k, v in src.items() if v is not None and k != "backup_initializer"}
    out["backup_initializer"] = _backup(src.get("backup_initializer"))
    return out


def _variable_name(v):
    name = v if isinstance(v, str) else getattr(v, "name", None)
    if not isinstance(name, str):
        raise ValueError(f"vars_to_warm_start: {v!r} is neither a string nor a variable")
    return name[:-2] if name.endswith(":0") else name


def _vars_to_warm_start(value):
    """TF's forms: a regex string, a list of regexes, a list of variables (their names), None."""
    if value is None or isinstance(value, str):
        return value
    items = list(value)
    if items and all(not isinstance(x, str) for x in items):
        return {"variables": [_variable_name(x) for x in items]}
    if not all(isinstance(x, str) for x in items):
        types = ", ".join(type(x).__name__ for x in items)
        raise ValueError("If `vars_to_warm_start` is a list, it must be all `Variable` or all "
                         f"`str`.  Given types are [{types}]")
    return items


def spec_of(ckpt_to_initialize_from, vars_to_warm_start=".*", var_name_to_vocab_info=None,
            var_name_to_prev_var_name=None, *, new_checkpoint, output, trainable_variables=None):
    """The JSON job spec for TF's warm_start arguments (what :func:`warm_start` sends)."""
    spec = {
        "ckpt_to_initialize_from": ckpt_to_initialize_from,
        "new_checkpoint": new_checkpoint,
        "output": output,
        "vars_to_warm_start": _vars_to_warm_start(vars_to_warm_start),
        "var_name_to_vocab_info": {
            k: _vocab_info(k, v) for k, v in (var_name_to_vocab_info or {}).items()},
        "var_name_to_prev_var_name": dict(var_name_to_prev_var_name or {}),
    }
    if trainable_variables is not None:
        spec["trainable_variables"] = list(trainable_variables)
    return spec


def _error(status, body, headers=None):
    error = body.get("error", {}) if isinstance(body, dict) else {}
    message = error.get("message") or f"HTTP {status}"
    if status in (400, 422):
        return WarmStartValueError(message, status, body)
    if status == 503 or error.get("retryable") is True:
        retry_after = (headers or {}).get("retry-after")
        return RetryableError(message, status, body,
                              float(retry_after) if retry_after else None)
    return WarmStartError(f"{error.get('type', 'Error')}: {message}", status, body)


def _default_progress(event):
    log.info("%s %s", event.get("phase"), event.get("message"))


def warm_start(ckpt_to_initialize_from, vars_to_warm_start=".*", var_name_to_vocab_info=None,
               var_name_to_prev_var_name=None, *, new_checkpoint, output, url=None, token=None,
               dry_run=False, trainable_variables=None, on_progress=_default_progress,
               timeout=3600):
    """Warm-starts ``new_checkpoint`` from ``ckpt_to_initialize_from`` into ``output``, exactly as
    ``tf.compat.v1.train.warm_start`` would initialise the NEW model, on the checkpoint files.

    The first four arguments are TensorFlow's. ``url`` / ``token`` default to
    ``$WARM_START_URL`` / ``$WARM_START_TOKEN``. ``on_progress(event)`` gets each progress event
    (phase, message, bytesDone, bytesTotal). Returns the report (a dict).

    Raises ValueError (:class:`WarmStartValueError`) where TF raises ValueError (nothing is
    written), :class:`RetryableError` for a transient fault (HTTP 503), :class:`WarmStartError`
    otherwise.
    """
    url = (url or os.environ.get("WARM_START_URL") or "").rstrip("/")
    if not url:
        raise ValueError("url is required (or set WARM_START_URL)")
    token = token if token is not None else os.environ.get("WARM_START_TOKEN")
    spec = spec_of(ckpt_to_initialize_from, vars_to_warm_start, var_name_to_vocab_info,
                   var_name_to_prev_var_name, new_checkpoint=new_checkpoint, output=output,
                   trainable_variables=trainable_variables)
    headers = {"content-type": "application/json", "accept": NDJSON}
    if token:
        headers["authorization"] = f"Bearer {token}"
    endpoint = f"{url}/v1/warm-start" + ("?dry_run=true" if dry_run else "")
    request = urllib.request.Request(endpoint, data=json.dumps(spec).encode(), headers=headers,
                                     method="POST")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"error": {"message": raw.decode(errors="replace")}}
        raise _error(e.code, body, {k.lower(): v for k, v in e.headers.items()}) from None
    except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
        raise RetryableError(f"cannot reach {url}: {e}") from e
    with response:
        for line in response:
            if not line.strip():
                continue
            event = json.loads(line)
            kind = event.get("type")
            if kind == "progress":
                if on_progress:
                    on_progress(event)
            elif kind == "report":
                return event["report"]
            elif kind == "error":
                raise _error(event.get("status", 500), event)
    raise RetryableError("the connection closed before the report arrived")
