"""Names shared by the rollback rules and every runtime's storage of rollbacks."""

#: Roll back the finished activities between the start and the target node (their ``Service.rollback``
#: is called, latest first), only within one token region: the nodes of one line of a pipeline, not
#: across the branches of a parallel gateway or the border of a subprocess.
TOKEN = "TOKEN"
#: Jump back to the target without calling ``Service.rollback``. The token check applies unless the
#: option ``skip_check_token=True`` is given.
ANY = "ANY"
MODES = (TOKEN, ANY)

#: The flag nodes of a stored rollback graph: the walk starts at START and ends at END.
START_FLAG = "START"
END_FLAG = "END"
FLAGS = (START_FLAG, END_FLAG)

#: The option of ANY mode that lets the start and the target lie in different token regions.
SKIP_CHECK_TOKEN = "skip_check_token"

#: The kind of the message that runs a TOKEN rollback (next to the engine's "execute"/"schedule").
ROLLBACK_MESSAGE = "rollback"
