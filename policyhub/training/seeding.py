"""Load training modules and their assignment rules from YAML seed files."""

import hashlib
import logging
import uuid
from pathlib import Path

import markdown
import yaml
from django.contrib.auth.models import Group
from django.db import transaction

from ..attestations.system import system_user
from ..audit.services import record_event
from ..policies.models import PolicyPage
from .models import TrainingIndexPage, TrainingModulePage, TrainingModulePolicy, TrainingRule
from .services.rules import assign_for_rule

logger = logging.getLogger(__name__)
# Block ids derive from the module slug and position, so loading an edited
# seed file keeps the ids of lessons and questions that people have progress on.
BLOCK_NAMESPACE = uuid.UUID("6f1d4d0e-5a43-4c1b-9f47-0d8f0c6f2b11")
REQUIRED_KEYS = ("title", "slug", "summary", "lessons", "questions")


def _block_id(*parts):
    return str(uuid.uuid5(BLOCK_NAMESPACE, ":".join(str(part) for part in parts)))


def _lessons(slug, lessons):
    return [
        {
            "type": "lesson",
            "id": _block_id(slug, "lesson", index),
            "value": {
                "title": lesson["title"],
                "content": [{
                    "type": "text",
                    "id": _block_id(slug, "lesson", index, "text"),
                    "value": markdown.markdown(lesson["body"]),
                }],
            },
        }
        for index, lesson in enumerate(lessons)
    ]


def _questions(slug, questions):
    return [
        {
            "type": "question",
            "id": _block_id(slug, "question", index),
            "value": {
                "prompt": question["prompt"],
                "kind": question.get("kind", "single"),
                "explanation": question.get("explanation", ""),
                "choices": [
                    {"type": "item", "id": _block_id(slug, "question", index, "choice", number),
                     "value": {"text": str(choice["text"]), "correct": bool(choice["correct"])}}
                    for number, choice in enumerate(question["choices"])
                ],
            },
        }
        for index, question in enumerate(questions)
    ]


def read_seed(path):
    """Parse one seed file; raise ValueError naming the file and the problem."""
    raw = Path(path).read_bytes()
    data = yaml.safe_load(raw)
    missing = [key for key in REQUIRED_KEYS if key not in (data or {})]
    if missing:
        raise ValueError(f"{path}: missing {', '.join(missing)}; see training_seed/ for the format.")
    return data, hashlib.sha256(raw).hexdigest()


def load_module(path, index=None):
    """Create or update the module in ``path``; return (module, action).

    A module whose seed file is unchanged is left alone, so running the load
    twice creates no new revision.
    """
    data, sha = read_seed(path)
    index = index or TrainingIndexPage.objects.get()
    module = TrainingModulePage.objects.filter(slug=data["slug"]).first()
    if module is not None and module.seed_sha256 == sha:
        return module, "unchanged"
    fields = {
        "title": data["title"],
        "summary": data["summary"].strip(),
        "estimated_minutes": data.get("estimated_minutes", 20),
        "validity_months": data.get("validity_months", 12),
        "questions_per_attempt": data.get("questions_per_attempt", 5),
        "pass_mark_percent": data.get("pass_mark_percent", 80),
        "max_attempts": data.get("max_attempts", 3),
        "lessons": _lessons(data["slug"], data["lessons"]),
        "questions": _questions(data["slug"], data["questions"]),
        "seed_sha256": sha,
    }
    actor = system_user()
    with transaction.atomic():
        if module is None:
            module = TrainingModulePage(slug=data["slug"], **fields)
            index.add_child(instance=module)
            action = "created"
        else:
            for name, value in fields.items():
                setattr(module, name, value)
            action = "updated"
        module.full_clean()
        # The system account publishes for the seed command. It has
        # no Wagtail page permissions, so only this call skips the check.
        module.save_revision(user=actor, log_action=True).publish(
            user=actor, skip_permission_checks=True
        )
        _link_policies(module, data.get("teaches", []), data.get("requires_before", []))
        _create_rules(module, data.get("assign", []), actor)
        record_event("training.module_seeded", obj=module, system_actor="seed_training",
                     detail={"slug": module.slug, "action": action})
    return module, action


def _link_policies(module, teaches, requires_before):
    for slug in [*teaches, *requires_before]:
        policy = PolicyPage.objects.filter(slug=slug).first()
        if policy is None:
            logger.info("Training module %s: policy %s not loaded yet", module.slug, slug)
            continue
        TrainingModulePolicy.objects.update_or_create(
            module=module, policy=policy,
            defaults={"required_for_acknowledgement": slug in requires_before},
        )


def _create_rules(module, rules, actor):
    for spec in rules:
        group = None
        if spec["target"] == TrainingRule.Target.GROUP:
            group, _ = Group.objects.get_or_create(name=spec["group"])
        rule, created = TrainingRule.objects.get_or_create(
            module=module, target=spec["target"], group=group, user=None,
            defaults={"due_in_days": spec.get("due_in_days", 14), "created_by": actor},
        )
        if created:
            assign_for_rule(rule, actor, "seed_training")


def load_directory(directory):
    """Load every ``*.yaml`` file in ``directory``; return [(slug, action)]."""
    paths = sorted(Path(directory).glob("*.yaml"))
    if not paths:
        raise ValueError(f"No *.yaml training seed files in {directory}.")
    return [(module.slug, action) for module, action in map(load_module, paths)]
