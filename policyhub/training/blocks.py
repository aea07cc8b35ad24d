"""StreamField blocks for lessons and quiz questions of a training module."""

from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageBlock


class LessonContentBlock(blocks.StreamBlock):
    text = blocks.RichTextBlock(features=["h3", "bold", "italic", "ol", "ul", "link"])
    image = ImageBlock()
    video = EmbedBlock(help_text="URL of a video page, e.g. on the intranet video service.")


class LessonBlock(blocks.StructBlock):
    """One lesson; its block id is the key under which progress is saved."""

    title = blocks.CharBlock(max_length=200)
    content = LessonContentBlock()

    class Meta:
        icon = "doc-full"


class ChoiceBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=500)
    correct = blocks.BooleanBlock(required=False)


class QuestionBlock(blocks.StructBlock):
    """A single- or multiple-choice question; an answer scores only when it
    selects exactly the correct choices."""

    SINGLE = "single"
    MULTIPLE = "multiple"

    prompt = blocks.TextBlock()
    kind = blocks.ChoiceBlock(
        choices=[(SINGLE, "Single choice"), (MULTIPLE, "Multiple choice")], default=SINGLE
    )
    choices = blocks.ListBlock(ChoiceBlock(), min_num=2)
    explanation = blocks.TextBlock(
        required=False, help_text="Shown with the result, after the attempt is submitted."
    )

    def clean(self, value):
        value = super().clean(value)
        correct = sum(1 for choice in value["choices"] if choice["correct"])
        if correct == 0:
            raise StructBlockValidationError(
                non_block_errors=["Mark at least one choice as correct."]
            )
        if value["kind"] == self.SINGLE and correct != 1:
            raise StructBlockValidationError(non_block_errors=[
                f"A single-choice question needs exactly one correct choice, not {correct}; "
                "mark one choice or make the question multiple choice."
            ])
        return value

    class Meta:
        icon = "help"
