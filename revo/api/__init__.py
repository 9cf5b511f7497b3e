"""The REST API toolkit. Adding an endpoint to a domain app (``revo/<app>/api/``):

* views subclass ``revo.api.views.ApiView`` and declare ``required_permission``
  (``"leads.view_lead"``, or ``{"GET": "leads.view_lead", "POST": "leads.add_lead"}``;
  ``PUBLIC``/``AUTHENTICATED`` from ``revo.api.permissions``). The system check ``api.E001``
  and ``tests/api/test_permissions.py`` refuse a view that declares nothing, and the
  role matrix test covers every route automatically. When the permission depends on the
  object in the URL (deciding an artifact: its type's ``REVIEW_PERMISSION``; running an
  agent: ``agents.run_<agent>``), declare a permission every role holds, check the real
  one in the view or service (403), and name it in ``delegated_permission``.
* input serializers subclass ``revo.api.serializers.StrictInputSerializer`` (unknown and
  read-only keys → 400); output serializers are plain, explicit field lists.
* document each method with ``extend_schema(request=Input, responses={201: Output})``;
  error responses (the envelope) are added by ``revo.api.schema.RevoAutoSchema``, extra
  status codes via ``error_status_codes = (409,)`` on the view.
* creating POSTs take ``@revo.api.idempotency.idempotent`` (``Idempotency-Key``).
* lists: ``return self.paginated(queryset, OutputSerializer)`` with ``filterset_class``,
  ``ordering_fields`` and ``ordering``; use ``select_related``/``prefetch_related``.
* raise ``revo.api.exceptions.Conflict`` / ``IllegalTransition(allowed=[...])`` /
  ``Unprocessable``, Django ``ValidationError`` or ``django_fsm.TransitionNotAllowed``:
  ``revo.api.errors`` turns each into the envelope with a stable code.
* include the app's ``urlpatterns`` in ``api_v1_patterns`` of ``revo/urls_tenant.py``.
"""
