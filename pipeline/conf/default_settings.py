"""Default values of the Django settings the runtime reads (``pipeline.conf.settings`` falls back to them).

Every upper-case name here is a setting; a project overrides it in its Django settings. Read them through
``pipeline.conf.settings`` rather than from here, so the project's value wins.
"""

LOG_PERSISTENT_DAYS = 30
BAMBOO_DJANGO_ERI_NODE_RERUN_LIMIT = 100
BAMBOO_DJANGO_ERI_PREPARE_BATCH_SIZE = 500
# Pickle is an explicit opt-in: values that are not JSON serialisable are refused otherwise.
BAMBOO_DJANGO_ERI_ALLOW_PICKLE = False
# Dotted paths of a json.JSONEncoder subclass / json.loads object hook for node data inputs.
DATA_JSON_ENCODER_PATH = None
DATA_JSON_OBJECT_HOOK_PATH = None
# Size of the per-process cache of parsed nodes (nodes do not change after prepare).
BAMBOO_DJANGO_ERI_NODE_CACHE_SIZE = 10000
# Record a claim per delivered message so a duplicate delivery changes nothing (docs/delivery.md).
BAMBOO_DJANGO_ERI_DEDUPE_DELIVERIES = True
# Days a delivery claim is kept (a broker never redelivers a message older than this).
BAMBOO_DJANGO_ERI_DELIVERY_CLAIM_DAYS = 7
# Seconds a claimed message is leased to its worker; a redelivery after that takes it over.
BAMBOO_DJANGO_ERI_DELIVERY_LEASE_SECONDS = 30
# The transactional outbox (docs/delivery.md): messages are stored with the transaction that needs
# them; a worker relay publishes rows still there RELAY_AFTER s after they were stored, looking
# every RELAY_INTERVAL s.
BAMBOO_DJANGO_ERI_OUTBOX = True
BAMBOO_DJANGO_ERI_OUTBOX_RELAY_AFTER_SECONDS = 10
BAMBOO_DJANGO_ERI_OUTBOX_RELAY_INTERVAL_SECONDS = 2
# Worker maintenance (docs/healing.md): every worker runs the outbox relay and the sweep of abandoned
# delivery claims; one worker at a time (a lease row) runs a healing pass every INTERVAL s.
BAMBOO_WORKER_MAINTENANCE = True
BAMBOO_HEALING_INTERVAL_SECONDS = 60
# Stuck-pipeline healing (docs/healing.md): a process whose heartbeat is older than STALE is a
# candidate; it is stuck once it stayed unchanged for CONFIRM s (a POLL: its interval + POLL_GRACE).
BAMBOO_HEALING_STALE_SECONDS = 300
BAMBOO_HEALING_CONFIRM_SECONDS = 120
BAMBOO_HEALING_POLL_GRACE_SECONDS = 120
BAMBOO_HEALING_SCAN_LIMIT = 2000
# Re-dispatches per root pipeline per hour, and per pass before the circuit breaker opens.
BAMBOO_HEALING_MAX_PER_PIPELINE_PER_HOUR = 3
BAMBOO_HEALING_MAX_PER_PASS = 50
PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC = None
PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC_CHECK = True
PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC_TEXT = "1==1"
PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY = None
PIPELINE_ENABLE_ROLLBACK = False
PIPELINE_ENABLE_AUTO_EXECUTE_WHEN_ROLL_BACKED = True
ROLLBACK_QUEUE = "rollback"
PLUGIN_EXECUTE_QUEUE = "plugin_execute"
# pipeline.contrib.node_timeout and node_timer_event (docs/node-timeout.md, docs/node-timer-event.md).
# HANDLER None: the built-in action map; BACKEND None: Redis when settings.redis_inst exists, else the
# database.
PIPELINE_NODE_TIMEOUT_HANDLER = None
PIPELINE_NODE_TIMEOUT_DISPATCH_QUEUE = None
PIPELINE_NODE_TIMEOUT_HANDLE_QUEUE = None
PIPELINE_NODE_TIMEOUT_EXECUTING_POOL = "executing_node_pool"
PIPELINE_NODE_TIMEOUT_POOL_SCAN_INTERVAL = 1
PIPELINE_NODE_TIMEOUT_CLAIM_LEASE = 15
PIPELINE_NODE_TIMEOUT_BACKEND = None
PIPELINE_NODE_TIMER_EVENT_KEY_PREFIX = "bamboo:v1:node_timer_event"
PIPELINE_NODE_TIMER_EVENT_DISPATCH_QUEUE = None
PIPELINE_NODE_TIMER_EVENT_HANDLE_QUEUE = None
PIPELINE_NODE_TIMER_EVENT_EXECUTING_POOL = "bamboo:v1:node_timer_event:executing_node_pool"
PIPELINE_NODE_TIMER_EVENT_POOL_SCAN_INTERVAL = 1
PIPELINE_NODE_TIMER_EVENT_MAX_EXPIRE_TIME = 60 * 60 * 24 * 15
PIPELINE_NODE_TIMER_EVENT_ADAPTER_CLASS = "pipeline.contrib.node_timer_event.adapter.NodeTimerEventAdapter"
PIPELINE_NODE_TIMER_EVENT_CLAIM_LEASE = 15
PIPELINE_NODE_TIMER_EVENT_BACKEND = None
ENABLE_PIPELINE_EVENT_SIGNALS = False
PIPELINE_ENGINE_ADMIN_API_PERMISSION = None
COMPONENT_PATH: list = []
AUTO_UPDATE_COMPONENT_MODELS = True
VARIABLE_PATH: list = []
AUTO_UPDATE_VARIABLE_MODELS = True
ENABLE_EXAMPLE_COMPONENTS = True
PLUGIN_SPECIFIC_EXCEPTIONS: tuple = ()
VARIABLE_SPECIFIC_EXCEPTIONS: tuple = ()
MAKO_SAFETY_CHECK = True
# pipeline.contrib.periodic_task (docs/periodic-task.md): dotted paths of f(root_pipeline_data) -> dict
# giving a run its root pipeline / subprocess context (names spelt as projects already spell them);
# the queue beat sends the start task to (None: Celery's default queue).
BAMBOO_PERIODIC_TASK_ROOT_PIPELINE_CONTEXT_PROVIER = None
BAMBOO_PERIODIC_TASK_SUBPROCESS_CONTEXT_PROVIER = None
BAMBOO_PERIODIC_TASK_START_QUEUE = None
# pipeline.eri.utils.check_worker: how many times it pings the workers before answering.
PIPELINE_WORKER_PING_TIMES = 2
