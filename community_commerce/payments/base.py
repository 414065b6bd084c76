class PaymentProvider:
    code = "base"
    #: whether the merchant confirms payment by hand ("mark paid")
    merchant_confirms = True

    def instructions(self, order) -> str:
        """What the buyer reads to pay this order."""
        raise NotImplementedError
