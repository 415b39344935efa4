"""Web helpers below the features: the request base (``base``), the page shell and its
stylesheet with the municipality's colours and logo (``theme``, ``templates/page.html``,
``static/sider.css``) and the route that serves them (``routes``)."""
