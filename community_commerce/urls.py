from django.urls import path

from community_commerce.views import composer, disputes, links, live, merchant, notices, offers, orders, reports, trust

app_name = "community_commerce"

urlpatterns = [
    path("offers/new/", offers.new_offer, name="new_offer"),
    path("offers/preview", composer.offer_preview, name="offer_preview"),
    path("offers/<int:pk>/claim", offers.claim_offer, name="claim"),
    path("offers/<int:pk>/remind", offers.remind_me, name="remind"),
    path("offers/<int:pk>/cancel", offers.cancel_offer, name="cancel"),
    path("offers/<int:pk>/live", live.offer_fragment, name="offer_live"),
    path("claims/<int:pk>/withdraw", offers.withdraw_claim, name="withdraw"),
    path("offers/<int:pk>/share", links.share, name="share"),
    path("offers/<int:pk>/coupons", links.create_coupon, name="create_coupon"),
    path("coupons/<int:pk>/take", links.take_coupon, name="take_coupon"),
    path("me/links/", links.my_links, name="my_links"),
    path("me/links/<int:pk>/", links.link_detail, name="link"),
    path("me/links/<int:pk>/qr.svg", links.link_qr, name="link_qr"),
    path("me/coupons/", links.my_coupons, name="my_coupons"),
    path("me/orders/", orders.my_orders, name="my_orders"),
    path("orders/<int:pk>/", orders.order_detail, name="order"),
    # buyer protection (views/trust.py, views/disputes.py): before the pipeline's <action>
    path("orders/<int:pk>/refund", trust.refund, name="order_refund"),
    path("orders/<int:pk>/rate", trust.rate, name="order_rate"),
    path("orders/<int:pk>/dispute", disputes.dispute_new, name="dispute_new"),
    path("ratings/<int:pk>/reply", trust.reply, name="rating_reply"),
    path("ratings/<int:pk>/hide", trust.hide, name="rating_hide"),
    path("disputes/", disputes.dispute_list, name="disputes"),
    path("disputes/<int:pk>/", disputes.dispute_detail, name="dispute"),
    path("disputes/<int:pk>/message", disputes.dispute_message, name="dispute_message"),
    path("disputes/<int:pk>/resolve", disputes.dispute_resolve, name="dispute_resolve"),
    path("merchants/<int:pk>/", trust.merchant_page, name="merchant"),
    path("orders/<int:pk>/<str:action>", orders.order_action, name="order_action"),
    path("merchant/", merchant.merchant_dashboard, name="merchant_dashboard"),
    path("merchant/apply/", merchant.merchant_apply, name="merchant_apply"),
    path("merchant/report.csv", reports.merchant_report_csv, name="merchant_report_csv"),
    path("merchant/commissions.csv", reports.merchant_commissions_csv, name="merchant_commissions_csv"),
    path("merchant/costs", reports.add_cost, name="add_cost"),
    path("me/rewards/", reports.rewards, name="rewards"),
    path("me/rewards.csv", reports.rewards_csv, name="rewards_csv"),
    path("reports/", reports.staff_report, name="staff_report"),
    path("reports/channels.csv", reports.staff_report_csv, name="staff_report_csv"),
    path("me/notices/", notices.notice_list, name="notices"),
    path("me/notices/<int:pk>/", notices.notice_open, name="notice"),
    path("me/notices/read", notices.notices_read_all, name="notices_read_all"),
]
