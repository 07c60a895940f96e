"""The write and read paths between the facade (``Memory``) and the store.

``write``: drafts -> embedding -> extraction -> one store transaction.
``read``: a query's scope and time -> retrieval and fact ranking, together.
``context``: a prompt-ready block, read through ``read``.
``transfer``: the dump format in and out.
"""
