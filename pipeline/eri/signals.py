"""Django signals of the runtime."""

from django.dispatch import Signal

# sender=pipeline.eri.models.State; kwargs node_id, to_state, version, root_id, parent_id, loop
post_set_state = Signal()
# sender=runtime class; kwargs event (ExecuteInterruptEvent / ScheduleInterruptEvent)
execute_interrupt = Signal()
schedule_interrupt = Signal()
# sender=ServiceWrapper; kwargs service, data, parent_data (+ callback_data for schedule)
pre_service_execute = Signal()
pre_service_schedule = Signal()
# sender=runtime class; kwargs event (pipeline.eri.imp.hooks.PipelineEvent); only when
# ENABLE_PIPELINE_EVENT_SIGNALS is True
pipeline_event = Signal()
