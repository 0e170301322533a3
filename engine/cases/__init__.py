"""Cases («saker»): the use cases that change a case, the unit of work they share, and the reads.

Other packages import from here, not from the modules inside: ``from engine import cases`` then
``cases.complete_task(...)``, ``cases.CaseUnitOfWork``, ``cases.RUNNING``.
"""
from engine.cases.changes import Change
from engine.cases.commands import complete_task, deliver_message, open_case, save_draft, wake_case
from engine.cases.messages import check as check_message
from engine.cases.queries import (
                                  actionable_tasks_query,
                                  case_data,
                                  case_events,
                                  case_page,
                                  case_tasks,
                                  case_timers,
                                  completed_forms,
                                  completed_task,
                                  get_case,
                                  get_task,
                                  list_cases,
                                  list_tasks,
                                  preload_names,
                                  task_data,
                                  task_schema,
                                  task_ui_schema,
                                  visible_cases_query,
                                  waiting_messages,
)
from engine.cases.unit_of_work import ANCHOR_KEYS, CaseUnitOfWork, load_workflow, read_workflow, step
from engine.store.status import ACTIVE, COMPLETED, ENDED, ERROR, RUNNING, SUSPENDED, TERMINATED, refusal_text

__all__ = [
    "ACTIVE", "ANCHOR_KEYS", "COMPLETED", "ENDED", "ERROR", "RUNNING", "SUSPENDED", "TERMINATED",
    "CaseUnitOfWork", "Change", "actionable_tasks_query", "case_data", "case_events", "case_tasks", "case_timers",
    "check_message", "completed_forms", "completed_task",
    "case_page", "complete_task", "deliver_message", "get_case", "get_task", "list_cases", "list_tasks", "load_workflow",
    "open_case", "preload_names", "read_workflow", "refusal_text", "save_draft", "step", "task_data", "task_schema",
    "task_ui_schema",
    "visible_cases_query", "wake_case", "waiting_messages",
]
