"""What a wire process tells its operators: Prometheus metrics (`metrics`, served at
`/metrics` by `wire serve` and `wire consume --metrics-port`) and OpenTelemetry traces
(`tracing`, off unless configured).

The hot paths (a guest call, a handled message) call small hooks from here: each keeps
its labels bound once, per function or binding, and makes spans only when tracing is on.
This package imports nothing of wire above the host.
"""

from . import metrics, tracing
from .calls import CallTelemetry
from .errors import TracingConfigError

__all__ = ["CallTelemetry", "TracingConfigError", "metrics", "tracing"]
