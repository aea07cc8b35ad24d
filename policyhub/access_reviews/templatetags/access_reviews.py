from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """Return ``mapping[key]``, or None when the key is missing."""
    return mapping.get(key)
