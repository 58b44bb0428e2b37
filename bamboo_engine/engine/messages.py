"""What a task consumer does with one execute or schedule message: build the interrupter, call the engine.

Every runtime runs a received message the same way; what a message carries is
``bamboo_engine.eri.rules.task`` (the sending half).
"""

from typing import Any, Optional

from bamboo_engine import fence
from bamboo_engine.engine import failsafe
from bamboo_engine.interrupt import ExecuteInterrupter, ScheduleInterrupter


def run_execute_message(
    runtime: Any,
    process_id: int,
    node_id: str,
    root_pipeline_id: str,
    parent_pipeline_id: str,
    recover_point: Any,
    headers: Optional[dict],
) -> None:
    """Run one execute message: ``recover_point`` may be the JSON text, a dict or the model.

    A recover point that cannot be decoded drops the message (logged at ERROR with its ids, counted):
    the engine cannot tell what the interrupted attempt did, and a redelivery would not decode either.
    """
    from bamboo_engine.engine import Engine  # the engine package imports this module's neighbours

    try:
        interrupter = ExecuteInterrupter(
            runtime=runtime,
            current_node_id=node_id,
            process_id=process_id,
            parent_pipeline_id=parent_pipeline_id,
            root_pipeline_id=root_pipeline_id,
            check_point=None,
            recover_point=recover_point,
            headers=headers,
        )
    except Exception as err:  # noqa: BLE001 - an undecodable message is dropped and counted
        failsafe.drop_undecodable(failsafe.EXECUTE, {"process_id": process_id, "node_id": node_id}, err)
        return
    if not fence.admit_execute(runtime, process_id, node_id, recover_point, headers):
        return
    Engine(runtime).execute(
        process_id=process_id,
        node_id=node_id,
        root_pipeline_id=root_pipeline_id,
        parent_pipeline_id=parent_pipeline_id,
        interrupter=interrupter,
        headers=headers,
    )


def run_schedule_message(
    runtime: Any,
    process_id: int,
    node_id: str,
    schedule_id: Any,
    callback_data_id: Optional[int],
    recover_point: Any,
    headers: Optional[dict],
) -> None:
    """Run one schedule message: ``recover_point`` may be the JSON text, a dict or the model.

    A recover point that cannot be decoded drops the message, as for :func:`run_execute_message`.
    """
    from bamboo_engine.engine import Engine

    try:
        interrupter = ScheduleInterrupter(
            runtime=runtime,
            current_node_id=node_id,
            process_id=process_id,
            schedule_id=schedule_id,
            callback_data_id=callback_data_id,
            check_point=None,
            recover_point=recover_point,
            headers=headers,
        )
    except Exception as err:  # noqa: BLE001 - an undecodable message is dropped and counted
        message = {"process_id": process_id, "node_id": node_id, "schedule_id": schedule_id}
        failsafe.drop_undecodable(failsafe.SCHEDULE, dict(message, callback_data_id=callback_data_id), err)
        return
    if not fence.admit_schedule(runtime, schedule_id, node_id, callback_data_id, recover_point, headers):
        return
    Engine(runtime).schedule(
        process_id=process_id,
        node_id=node_id,
        schedule_id=schedule_id,
        interrupter=interrupter,
        headers=headers,
        callback_data_id=callback_data_id,
    )
