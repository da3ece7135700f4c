from django.urls import path

from . import views

urlpatterns = [
    path("strategies", views.StrategyListApi.as_view(), name="strategy-list"),
    path("strategies/import", views.StrategyImportApi.as_view(), name="strategy-import"),
    path("strategies/templates", views.TemplateListApi.as_view(), name="strategy-templates"),
    path(
        "strategies/templates/<slug:key>/clone",
        views.TemplateCloneApi.as_view(),
        name="strategy-template-clone",
    ),
    path("strategies/<id:strategy_id>", views.StrategyDetailApi.as_view(), name="strategy-detail"),
    path(
        "strategies/<id:strategy_id>/versions",
        views.StrategyVersionListApi.as_view(),
        name="strategy-versions",
    ),
    path(
        "strategies/<id:strategy_id>/versions/<id:number>",
        views.StrategyVersionDetailApi.as_view(),
        name="strategy-version-detail",
    ),
    path(
        "strategies/<id:strategy_id>/validate",
        views.StrategyValidateApi.as_view(),
        name="strategy-validate",
    ),
    path("strategies/<id:strategy_id>/risk", views.StrategyRiskApi.as_view(), name="strategy-risk"),
    path(
        "strategies/<id:strategy_id>/export",
        views.StrategyExportApi.as_view(),
        name="strategy-export",
    ),
    path(
        "strategies/<id:strategy_id>/indicators",
        views.StrategyIndicatorCreateApi.as_view(),
        name="strategy-indicators",
    ),
    path(
        "strategies/<id:strategy_id>/conditions",
        views.StrategyConditionCreateApi.as_view(),
        name="strategy-conditions",
    ),
    path(
        "strategies/<id:strategy_id>/actions",
        views.StrategyActionCreateApi.as_view(),
        name="strategy-actions",
    ),
    path(
        "strategies/<id:strategy_id>/nodes/<str:node_id>",
        views.StrategyNodeDetailApi.as_view(),
        name="strategy-node",
    ),
    path(
        "strategies/<id:strategy_id>/edges",
        views.StrategyEdgeListApi.as_view(),
        name="strategy-edges",
    ),
    path(
        "strategies/<id:strategy_id>/edges/<path:edge_id>",
        views.StrategyEdgeDetailApi.as_view(),
        name="strategy-edge",
    ),
    path("indicators", views.IndicatorCatalogueApi.as_view(), name="indicator-catalogue"),
]
