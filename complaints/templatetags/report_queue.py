"""The report queue's result list and filter sidebar, drawn by complaints/admin_list.py."""

from django import template
from django.contrib.admin.templatetags.admin_list import admin_list_filter

from .. import admin_list

register = template.Library()


@register.inclusion_tag("admin/complaints/report/change_list_results.html")
def queue_result_list(cl):
    return admin_list.result_list(cl)


@register.simple_tag
def queue_list_filter(cl, spec):
    if spec.template == "admin/filter.html":
        return admin_list.filter_html(cl, spec)
    return admin_list_filter(cl, spec)
