from django.urls import path

from revo.reviews.api import views

urlpatterns = [
    path("reviews", views.ReviewListView.as_view(), name="review-list"),
    path(
        "reviews/<str:entity_type>/<int:entity_id>",
        views.ReviewDetailView.as_view(),
        name="review-detail",
    ),
    path(
        "reviews/<str:entity_type>/<int:entity_id>/decision",
        views.ReviewDecisionView.as_view(),
        name="review-decision",
    ),
]
