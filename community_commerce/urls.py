from django.urls import path

from community_commerce import views

app_name = "community_commerce"

urlpatterns = [
    path("offers/new/", views.new_offer, name="new_offer"),
    path("offers/<int:pk>/claim", views.claim_offer, name="claim"),
    path("offers/<int:pk>/remind", views.remind_me, name="remind"),
    path("offers/<int:pk>/cancel", views.cancel_offer, name="cancel"),
    path("claims/<int:pk>/withdraw", views.withdraw_claim, name="withdraw"),
    path("me/orders/", views.my_orders, name="my_orders"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/<str:action>", views.order_action, name="order_action"),
    path("merchant/", views.merchant_dashboard, name="merchant_dashboard"),
    path("merchant/apply/", views.merchant_apply, name="merchant_apply"),
]
