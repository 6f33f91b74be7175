"""Admin classes for dues rows: issued invoices are read-only and can never be deleted here either.

They are not registered on ``admin.site``: the project's only admin is the platform operator's
(public schema, /operator/admin/), where society tables do not exist.  A society-level admin site
registers them with ``register(site)``.
"""

from django.contrib import admin

from dues.models import Invoice, InvoiceLine, Payment, Refund


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0

    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.is_issued

    def has_add_permission(self, request, obj=None):
        return obj is None or not obj.is_issued

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_issued


class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "purpose", "total", "currency", "issued_at"]
    search_fields = ["number", "purpose"]
    inlines = [InvoiceLineInline]

    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.is_issued

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_issued


class PaymentAdmin(admin.ModelAdmin):
    list_display = ["invoice", "provider", "state", "amount", "currency", "created_at"]
    readonly_fields = [f.name for f in Payment._meta.fields]

    def has_delete_permission(self, request, obj=None):
        return False


class RefundAdmin(admin.ModelAdmin):
    list_display = ["payment", "amount", "currency", "state", "created_at"]
    readonly_fields = [f.name for f in Refund._meta.fields]

    def has_delete_permission(self, request, obj=None):
        return False


def register(site: admin.AdminSite) -> None:
    site.register(Invoice, InvoiceAdmin)
    site.register(Payment, PaymentAdmin)
    site.register(Refund, RefundAdmin)
