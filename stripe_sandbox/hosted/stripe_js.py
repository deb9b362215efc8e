"""The Stripe.js stand-in served at `/_sandbox/js/stripe.js`.

It implements the calls our pages use with the same names and result shapes as Stripe.js
(`{setupIntent}`, `{paymentIntent}`, `{paymentMethod}`, `{error}`), renders plain labelled inputs
(`input[name="sandbox-cardnumber"]`, `sandbox-exp`, `sandbox-cvc`, `sandbox-postal`) so browser
tests type test cards as a customer would, and shows a 3D Secure dialog with "Complete
authentication" / "Fail authentication" buttons when a card asks for it. Kept as a Python string
so the package needs no data files.

Like Stripe.js it speaks the `locale` given to `Stripe(pk, {locale})` or `stripe.elements({locale})`
("fr", "en", or "auto" — the default — for the browser's `navigator.language`): field labels,
placeholders, the 3D Secure dialog and the messages of `{error}` results (looked up by decline
code, then error code; a message the table does not know is passed on as the API wrote it).
"""

SOURCE = r"""/* Stripe sandbox: a local stand-in for Stripe.js (test mode only). */
(function () {
  "use strict";
  var script = document.currentScript;
  var BASE = script && script.src ? new URL(script.src).origin : "http://127.0.0.1:12111";
  var counter = 0;

  var FIELDS = {
    number: ["sandbox-cardnumber", "number", "1234 1234 1234 1234", "cc-number"],
    exp: ["sandbox-exp", "exp", "exp_placeholder", "cc-exp"],
    cvc: ["sandbox-cvc", "cvc", "cvc", "cc-csc"],
    postal: ["sandbox-postal", "postal", "postal_placeholder", "postal-code"]
  };
  var TEXT = {
    en: {
      number: "Card number", exp: "Expiration (MM / YY)", exp_placeholder: "MM / YY", cvc: "CVC",
      postal: "ZIP / Postal code", postal_placeholder: "12345",
      challenge_label: "3D Secure authentication", challenge_title: "3D Secure test challenge",
      challenge_setup: "Stripe sandbox: authenticate this card setup.",
      challenge_payment: "Stripe sandbox: authenticate this payment.",
      complete: "Complete authentication", fail: "Fail authentication",
      unreachable: "Could not reach the Stripe sandbox: "
    },
    fr: {
      number: "Numéro de carte", exp: "Date d'expiration (MM / AA)", exp_placeholder: "MM / AA", cvc: "CVC",
      postal: "Code postal", postal_placeholder: "H2X 1Y4",
      challenge_label: "Authentification 3D Secure", challenge_title: "Test d'authentification 3D Secure",
      challenge_setup: "Bac à sable Stripe : authentifiez l'enregistrement de cette carte.",
      challenge_payment: "Bac à sable Stripe : authentifiez ce paiement.",
      complete: "Réussir l'authentification", fail: "Faire échouer l'authentification",
      unreachable: "Impossible de joindre le bac à sable Stripe : "
    }
  };
  // Stripe.js shows its own wording for card errors in the customer's language.
  var ERRORS = {
    fr: {
      card_declined: "Votre carte a été refusée.",
      generic_decline: "Votre carte a été refusée.",
      lost_card: "Votre carte a été refusée.",
      stolen_card: "Votre carte a été refusée.",
      insufficient_funds: "Les fonds de votre carte sont insuffisants.",
      expired_card: "Votre carte a expiré.",
      incorrect_cvc: "Le code de sécurité de votre carte est incorrect.",
      processing_error: "Une erreur est survenue lors du traitement de votre carte. Réessayez dans un instant.",
      incorrect_number: "Votre numéro de carte est incorrect.",
      invalid_number: "Votre numéro de carte n'est pas valide.",
      incomplete_number: "Votre numéro de carte est incomplet.",
      invalid_expiry_month: "La date d'expiration de votre carte est incomplète ou n'est pas valide.",
      invalid_expiry_year: "L'année d'expiration de votre carte n'est pas valide.",
      setup_intent_authentication_failure: "Nous n'avons pas pu authentifier votre moyen de paiement. " +
        "Choisissez-en un autre et réessayez.",
      payment_intent_authentication_failure: "Nous n'avons pas pu authentifier votre moyen de paiement. " +
        "Choisissez-en un autre et réessayez."
    },
    en: {invalid_number: "Your card number is invalid."}
  };

  function resolveLocale(value, fallback) {
    var locale = value || fallback || "auto";
    if (locale === "auto") locale = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
    return String(locale).toLowerCase().indexOf("fr") === 0 ? "fr" : "en";
  }

  function text(locale, key) { return (TEXT[locale] || TEXT.en)[key] || TEXT.en[key] || key; }

  function localizeError(error, locale) {
    if (!error || typeof error !== "object") return error;
    var table = ERRORS[locale] || {};
    var message = table[error.decline_code] || table[error.code];
    if (message) error.message = message;
    return error;
  }

  function luhnValid(digits) {
    var sum = 0;
    for (var i = 0; i < digits.length; i++) {
      var n = parseInt(digits.charAt(digits.length - 1 - i), 10);
      if (i % 2 === 1) { n *= 2; if (n > 9) n -= 9; }
      sum += n;
    }
    return sum % 10 === 0;
  }
  var LAYOUTS = {
    card: ["number", "exp", "cvc", "postal"], payment: ["number", "exp", "cvc"],
    cardNumber: ["number"], cardExpiry: ["exp"], cardCvc: ["cvc"]
  };

  function post(path, payload, locale) {
    return fetch(BASE + "/_sandbox/js/" + path, {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(payload)
    }).then(function (response) { return response.json(); }).catch(function (err) {
      return {error: {type: "api_connection_error", message: text(locale, "unreachable") + err}};
    }).then(function (result) {
      if (result && result.error) result.error = localizeError(result.error, locale);
      return result;
    });
  }

  function brandOf(number) {
    if (/^3[47]/.test(number)) return "amex";
    if (/^4/.test(number)) return "visa";
    if (/^(5[1-5]|2[2-7])/.test(number)) return "mastercard";
    if (/^6(011|5)/.test(number)) return "discover";
    return "unknown";
  }

  function Element(type, options, group) {
    this.type = type;
    this._options = options || {};
    this._group = group;
    this._handlers = {};
    this._root = null;
  }
  Element.prototype.mount = function (target) {
    var node = typeof target === "string" ? document.querySelector(target) : target;
    if (!node) throw new Error("Stripe sandbox: mount target not found: " + target);
    var self = this;
    var locale = this._group._locale;
    var root = document.createElement("div");
    root.setAttribute("lang", locale);
    root.className = "sandbox-element sandbox-element-" + this.type;
    root.setAttribute("data-sandbox-element", this.type);
    (LAYOUTS[this.type] || LAYOUTS.card).forEach(function (key) {
      if (key === "postal" && self._options.hidePostalCode) return;
      var spec = FIELDS[key];
      var id = "sandbox-field-" + (++counter);
      var label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = text(locale, spec[1]);
      label.style.display = "block";
      var input = document.createElement("input");
      input.type = "text"; input.id = id; input.name = spec[0]; input.placeholder = text(locale, spec[2]);
      input.autocomplete = spec[3]; input.inputMode = key === "postal" ? "text" : "numeric";
      input.setAttribute("aria-label", text(locale, spec[1]));
      input.style.cssText = "display:block;width:100%;box-sizing:border-box;padding:8px;margin:2px 0 8px;" +
        "border:1px solid #c8ccd4;border-radius:4px;font-size:16px";
      input.addEventListener("input", function () { self._changed(); });
      input.addEventListener("focus", function () { self._emit("focus", {elementType: self.type}); });
      input.addEventListener("blur", function () { self._emit("blur", {elementType: self.type}); });
      root.appendChild(label);
      root.appendChild(input);
    });
    node.appendChild(root);
    this._root = root;
    setTimeout(function () { self._emit("ready", {elementType: self.type}); }, 0);
  };
  Element.prototype._changed = function () {
    var values = this._group._values();
    var number = values.number || "";
    var digits = number.replace(/\s/g, "");
    var error;
    // Stripe.js flags a full-length number that fails the Luhn check as the customer types.
    if (/^\d+$/.test(digits) && digits.length >= (brandOf(digits) === "amex" ? 15 : 16) && !luhnValid(digits)) {
      error = localizeError({type: "validation_error", code: "invalid_number",
                             message: "Your card number is invalid."}, this._group._locale);
    }
    this._emit("change", {
      elementType: this.type, empty: !number && !values.exp && !values.cvc,
      complete: !error && number.length >= 12 && /^\d{1,2}\s*\/\s*\d{2,4}$/.test(values.exp || "") && !!values.cvc,
      brand: brandOf(number), value: {type: "card"}, error: error
    });
  };
  Element.prototype._emit = function (name, event) {
    (this._handlers[name] || []).forEach(function (fn) { fn(event); });
  };
  Element.prototype.on = function (name, fn) { (this._handlers[name] = this._handlers[name] || []).push(fn); return this; };
  Element.prototype.once = Element.prototype.on;
  Element.prototype.off = function (name, fn) {
    this._handlers[name] = (this._handlers[name] || []).filter(function (h) { return fn && h !== fn; });
    return this;
  };
  Element.prototype.update = function (options) { Object.assign(this._options, options || {}); };
  Element.prototype.focus = function () { var i = this._root && this._root.querySelector("input"); if (i) i.focus(); };
  Element.prototype.blur = function () {};
  Element.prototype.clear = function () {
    if (this._root) this._root.querySelectorAll("input").forEach(function (i) { i.value = ""; });
  };
  Element.prototype.unmount = function () { if (this._root) { this._root.remove(); this._root = null; } };
  Element.prototype.destroy = function () { this.unmount(); this._group._remove(this); };

  function Elements(stripe, options) {
    this._stripe = stripe;
    this._options = options || {};
    this._locale = resolveLocale(this._options.locale, stripe._locale);
    this._elements = [];
  }
  Elements.prototype.create = function (type, options) {
    var element = new Element(type, options, this);
    this._elements.push(element);
    return element;
  };
  Elements.prototype.getElement = function (type) {
    var found = this._elements.filter(function (e) { return e.type === type; });
    return found.length ? found[0] : null;
  };
  Elements.prototype.update = function (options) {
    Object.assign(this._options, options || {});
    if (options && options.locale) this._locale = resolveLocale(options.locale, this._stripe._locale);
  };
  Elements.prototype.submit = function () { return Promise.resolve({}); };
  Elements.prototype.fetchUpdates = function () { return Promise.resolve({}); };
  Elements.prototype._remove = function (element) {
    this._elements = this._elements.filter(function (e) { return e !== element; });
  };
  Elements.prototype._values = function () {
    var out = {};
    this._elements.forEach(function (e) {
      if (!e._root) return;
      e._root.querySelectorAll("input").forEach(function (input) {
        var key = input.name.replace("sandbox-", "").replace("cardnumber", "number");
        if (input.value) out[key] = input.value;
      });
    });
    return out;
  };
  Elements.prototype._card = function () {
    var v = this._values();
    var exp = (v.exp || "").replace(/\s/g, "").split("/");
    var year = parseInt(exp[1] || "0", 10);
    return {
      number: (v.number || "").replace(/\s/g, ""), exp_month: parseInt(exp[0] || "0", 10),
      exp_year: year < 100 ? 2000 + year : year, cvc: v.cvc || undefined
    };
  };

  function groupOf(thing) { return thing && thing._group ? thing._group : thing; }

  function Stripe(key, options) {
    if (!(this instanceof Stripe)) return new Stripe(key, options);
    if (!key || String(key).indexOf("pk_test_") !== 0) {
      throw new Error("Stripe sandbox: a test publishable key (pk_test_...) is required.");
    }
    this._key = key;
    this._account = (options && options.stripeAccount) || null;
    this._locale = resolveLocale(options && options.locale);
  }
  Stripe.prototype.elements = function (options) { return new Elements(this, options); };
  Stripe.prototype._call = function (path, payload) {
    payload.key = this._key;
    payload.stripe_account = this._account;
    return post(path, payload, this._locale);
  };
  Stripe.prototype._paymentMethod = function (pm) {
    // `pm` is an id, or {card: element, billing_details}, or {acss_debit/us_bank_account: {...}}.
    if (!pm) return {};
    if (typeof pm === "string") return {payment_method: pm};
    if (pm.card) {
      return {payment_method_data: {type: "card", card: groupOf(pm.card)._card(),
                                    billing_details: pm.billing_details || {}}};
    }
    var types = ["acss_debit", "us_bank_account"];
    for (var i = 0; i < types.length; i++) {
      if (pm[types[i]]) {
        var data = {type: types[i], billing_details: pm.billing_details || {}};
        data[types[i]] = pm[types[i]];
        return {payment_method_data: data};
      }
    }
    return {payment_method_data: {type: "card", billing_details: pm.billing_details || {}}};
  };
  Stripe.prototype._result = function (response, key) {
    if (response.error) return {error: response.error};
    var out = {};
    out[key] = response.intent;
    if (response.intent && response.intent.status === "requires_action") return this._challenge(response.intent, key);
    return out;
  };
  Stripe.prototype._confirm = function (kind, clientSecret, payload) {
    var self = this;
    payload.client_secret = clientSecret;
    var key = kind === "setup" ? "setupIntent" : "paymentIntent";
    return this._call("confirm_" + kind + "_intent", payload).then(function (r) { return self._result(r, key); });
  };
  Stripe.prototype._challenge = function (intent, key) {
    var self = this;
    return new Promise(function (resolve) {
      var overlay = document.createElement("div");
      overlay.setAttribute("role", "dialog");
      var locale = self._locale;
      overlay.setAttribute("aria-label", text(locale, "challenge_label"));
      overlay.setAttribute("lang", locale);
      overlay.setAttribute("data-testid", "sandbox-3ds");
      overlay.style.cssText = "position:fixed;inset:0;background:rgba(0,0,0,.45);display:flex;" +
        "align-items:center;justify-content:center;z-index:2147483647";
      var box = document.createElement("div");
      box.style.cssText = "background:#fff;padding:24px;border-radius:8px;max-width:360px;font-family:sans-serif";
      var title = document.createElement("h2");
      title.style.marginTop = "0";
      title.textContent = text(locale, "challenge_title");
      var explanation = document.createElement("p");
      explanation.textContent = text(locale, key === "setupIntent" ? "challenge_setup" : "challenge_payment");
      box.appendChild(title);
      box.appendChild(explanation);
      [["complete", text(locale, "complete")], ["fail", text(locale, "fail")]].forEach(function (choice) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = choice[1];
        button.style.cssText = "margin:4px;padding:8px 12px";
        button.addEventListener("click", function () {
          overlay.remove();
          self._call("authenticate", {client_secret: intent.client_secret, outcome: choice[0]}).then(function (r) {
            if (r.error) { resolve({error: r.error}); return; }
            var out = {};
            out[key] = r.intent;
            resolve(out);
          });
        });
        box.appendChild(button);
      });
      overlay.appendChild(box);
      document.body.appendChild(overlay);
    });
  };
  Stripe.prototype._redirect = function (result, returnUrl, redirect, key) {
    if (result.error || redirect === "if_required" || !returnUrl) return result;
    var intent = result[key];
    var prefix = key === "setupIntent" ? "setup_intent" : "payment_intent";
    var url = new URL(returnUrl, window.location.href);
    url.searchParams.set(prefix, intent.id);
    url.searchParams.set(prefix + "_client_secret", intent.client_secret);
    url.searchParams.set("redirect_status", intent.status === "succeeded" || intent.status === "processing" ||
      intent.status === "requires_capture" ? "succeeded" : "failed");
    window.location.assign(url.toString());
    return new Promise(function () {});
  };

  Stripe.prototype.confirmCardSetup = function (clientSecret, data) {
    data = data || {};
    var payload = this._paymentMethod(data.payment_method);
    if (data.return_url) payload.return_url = data.return_url;
    return this._confirm("setup", clientSecret, payload);
  };
  Stripe.prototype.confirmCardPayment = function (clientSecret, data) {
    data = data || {};
    var payload = this._paymentMethod(data.payment_method);
    if (data.setup_future_usage) payload.setup_future_usage = data.setup_future_usage;
    if (data.return_url) payload.return_url = data.return_url;
    return this._confirm("payment", clientSecret, payload);
  };
  Stripe.prototype._confirmWithElements = function (kind, options) {
    var self = this;
    var elements = options.elements;
    var clientSecret = options.clientSecret || (elements && elements._options.clientSecret);
    var params = options.confirmParams || {};
    var payload = {};
    if (elements) {
      var data = params.payment_method_data || {};
      payload.payment_method_data = {type: "card", card: elements._card(), billing_details: data.billing_details || {}};
    } else if (params.payment_method) {
      payload.payment_method = params.payment_method;
    }
    if (params.return_url) payload.return_url = params.return_url;
    var key = kind === "setup" ? "setupIntent" : "paymentIntent";
    return this._confirm(kind, clientSecret, payload).then(function (result) {
      return self._redirect(result, params.return_url, options.redirect, key);
    });
  };
  Stripe.prototype.confirmSetup = function (options) { return this._confirmWithElements("setup", options || {}); };
  Stripe.prototype.confirmPayment = function (options) { return this._confirmWithElements("payment", options || {}); };

  Stripe.prototype.createPaymentMethod = function (options) {
    options = options || {};
    var payload = {type: options.type || "card", billing_details: options.billing_details || {}};
    if (options.elements) {
      payload.card = options.elements._card();
      if (options.params && options.params.billing_details) payload.billing_details = options.params.billing_details;
    } else if (options.card) {
      payload.card = groupOf(options.card)._card();
    }
    return this._call("payment_methods", payload).then(function (r) {
      return r.error ? {error: r.error} : {paymentMethod: r.payment_method};
    });
  };
  Stripe.prototype._retrieve = function (clientSecret, key) {
    return this._call("retrieve_intent", {client_secret: clientSecret}).then(function (r) {
      if (r.error) return {error: r.error};
      var out = {};
      out[key] = r.intent;
      return out;
    });
  };
  Stripe.prototype.retrieveSetupIntent = function (cs) { return this._retrieve(cs, "setupIntent"); };
  Stripe.prototype.retrievePaymentIntent = function (cs) { return this._retrieve(cs, "paymentIntent"); };
  Stripe.prototype.handleNextAction = function (options) {
    var self = this;
    var cs = options.clientSecret;
    var key = cs.indexOf("seti_") === 0 ? "setupIntent" : "paymentIntent";
    return this._call("retrieve_intent", {client_secret: cs}).then(function (r) { return self._result(r, key); });
  };
  Stripe.prototype.handleCardAction = function (cs) { return this.handleNextAction({clientSecret: cs}); };
  Stripe.prototype.handleCardSetup = function (cs) { return this.handleNextAction({clientSecret: cs}); };

  // Bank debits: no Financial Connections modal here — a test bank account is attached directly.
  Stripe.prototype._collectBank = function (options, key) {
    var params = options.params || {};
    var data = params.payment_method_data || {};
    return this._call("collect_bank_account", {
      client_secret: options.clientSecret, payment_method_type: params.payment_method_type,
      billing_details: data.billing_details || {}
    }).then(function (r) {
      if (r.error) return {error: r.error};
      var out = {};
      out[key] = r.intent;
      return out;
    });
  };
  Stripe.prototype.collectBankAccountForSetup = function (o) { return this._collectBank(o || {}, "setupIntent"); };
  Stripe.prototype.collectBankAccountForPayment = function (o) { return this._collectBank(o || {}, "paymentIntent"); };
  Stripe.prototype.confirmUsBankAccountSetup = function (cs, data) {
    return this._confirm("setup", cs, this._paymentMethod((data || {}).payment_method));
  };
  // Stripe.js opens its own bank-details and mandate dialog when confirmAcssDebit* gets only
  // billing details; the sandbox stands in for that dialog by attaching a test bank account.
  Stripe.prototype._confirmAcss = function (kind, cs, data) {
    var self = this;
    var pm = (data || {}).payment_method;
    if (typeof pm === "string" || (pm && pm.acss_debit)) return this._confirm(kind, cs, this._paymentMethod(pm));
    var key = kind === "setup" ? "setupIntent" : "paymentIntent";
    return this._collectBank({clientSecret: cs, params: {payment_method_type: "acss_debit",
      payment_method_data: {billing_details: (pm || {}).billing_details || {}}}}, key)
      .then(function (r) { return r.error ? r : self._confirm(kind, cs, {}); });
  };
  Stripe.prototype.confirmAcssDebitSetup = function (cs, data) { return this._confirmAcss("setup", cs, data); };
  Stripe.prototype.confirmUsBankAccountPayment = function (cs, data) {
    return this._confirm("payment", cs, this._paymentMethod((data || {}).payment_method));
  };
  Stripe.prototype.confirmAcssDebitPayment = function (cs, data) { return this._confirmAcss("payment", cs, data); };

  window.Stripe = Stripe;
  window.Stripe.sandbox = true;
})();
"""
