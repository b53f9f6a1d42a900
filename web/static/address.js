// The customer form's address (customers/form.html): when the country changes to or from CN,
// the parts move into that country's order (China: country, province, city, district, street,
// postal code; elsewhere: street, district, postal code, city, region, country). The inputs
// keep their values and names; without a script the order follows the saved country.
(function () {
  "use strict";
  var fieldset = document.getElementById("address");
  if (!fieldset) return;
  var parts = fieldset.querySelector(".address-parts");
  var country = fieldset.querySelector("[name=country]");
  if (!parts || !country) return;
  function arrange() {
    var layout = country.value.trim().toUpperCase() === "CN" ? "cn" : "western";
    if (fieldset.dataset.layout === layout) return;
    fieldset.dataset.layout = layout;
    fieldset.dataset[layout].split(" ").forEach(function (name) {
      var part = parts.querySelector('[data-part="' + name + '"]');
      if (part) parts.appendChild(part);
    });
  }
  country.addEventListener("input", arrange);
})();
