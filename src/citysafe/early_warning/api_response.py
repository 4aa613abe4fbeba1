from ninja import Router

router = Router(tags=["early-warning"])
