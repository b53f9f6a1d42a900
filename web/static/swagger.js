// Starts Swagger UI on /api/v1/docs (templates/swagger_ui.html) from the container's data.
(function () {
  "use strict";
  var box = document.getElementById("swagger-ui-container");
  var config = {url: box.dataset.specUrl, dom_id: "#swagger-ui-container"};
  var extra = JSON.parse(box.dataset.config || "{}");
  Object.keys(extra).forEach(function (key) { config[key] = extra[key]; });
  window.ui = SwaggerUIBundle(config);
})();
