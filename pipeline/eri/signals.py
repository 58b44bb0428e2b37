"""Django signals of the runtime (docs/monitoring.md)."""

from django.dispatch import Signal

# sender=pipeline.eri.models.State; kwargs node_id, to_state, version, root_id, parent_id, loop
post_set_state = Signal()
# sender=the event; kwargs event (ExecuteInterruptEvent / ScheduleInterruptEvent)
execute_interrupt = Signal()
schedule_interrupt = Signal()
# sender=ServiceWrapper; kwargs service, data, parent_data (the DataObjects the plugin receives),
# + callback_data (the ERI CallbackData, or None) for schedule
pre_service_execute = Signal()
pre_service_schedule = Signal()
# sender=pipeline.eri.imp.hooks.HooksMixin; kwargs event (pipeline.eri.imp.hooks.PipelineEvent); only when
# ENABLE_PIPELINE_EVENT_SIGNALS is True
pipeline_event = Signal()
