package io.github.saimjava.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Confirmation forms are submitted with their own action, method and fields. */
class HtmlPageTest {
  static final URI PAGE = URI.create("https://host.example/uc?export=download&id=X");

  @Test
  void aGetFormReplacesTheActionsQueryWithItsEscapedFieldsAndSkipsItsButtons() {
    HtmlPage.Submission s =
        HtmlPage.confirmation(
            "<html><body><form id='f' action='/download?old=1#top' METHOD=get><input type=submit"
                + " value='Download anyway'><input type=\"hidden\" name=\"id\""
                + " value=\"a&amp;b\"><input type='hidden' name='confirm' value='t'><INPUT"
                + " TYPE=HIDDEN NAME=uuid VALUE=1-2></form></body></html>",
            PAGE);
    assertEquals("GET", s.method());
    assertEquals(URI.create("https://host.example/download?id=a%26b&confirm=t&uuid=1-2"), s.uri());
    assertNull(s.body());
  }

  @Test
  void aPostFormSendsItsFieldsAsTheBody() {
    HtmlPage.Submission s =
        HtmlPage.confirmation(
            "<form method=\"post\" action=\"https://other.example/dl\">"
                + "<input type=\"hidden\" name=\"token\" value=\"x y\"></form>",
            PAGE);
    assertEquals("POST", s.method());
    assertEquals(URI.create("https://other.example/dl"), s.uri());
    assertEquals("token=x+y", s.body());
  }

  @Test
  void aPageWithoutAFormOfHiddenFieldsIsNoConfirmation() {
    assertNull(
        HtmlPage.confirmation("<html><form action='/search'><input name='q'></form></html>", PAGE));
    assertNull(HtmlPage.confirmation("<html><title>Error 429</title></html>", PAGE));
  }

  @Test
  void pagesAreDescribedByTitleElseFirstVisibleText() {
    assertEquals(
        "'Error 429 (Too Many Requests)!!1'",
        HtmlPage.describe(
            "<html><head><title>Error 429 (Too Many\n Requests)!!1</title></head></html>"));
    assertEquals(
        "'Sorry & goodbye'",
        HtmlPage.describe(
            "<html><head><script>var x;</script></head><body><p>Sorry &amp; "
                + "goodbye</p></body></html>"));
    assertEquals("an empty page", HtmlPage.describe("<html></html>"));
  }

  @Test
  void htmlIsToldFromCheckpointsByItsFirstBytes() {
    for (String html :
        new String[] {"<!DOCTYPE html><html>", "\n  <html lang=en>", "\uFEFF<!doctype HTML>"}) {
      byte[] b = html.getBytes(StandardCharsets.UTF_8);
      assertTrue(HtmlPage.looksLikeHtml(b, b.length), html);
    }
    byte[] zip = {'P', 'K', 3, 4, 0, 0};
    byte[] pickle = {(byte) 0x80, 2, (byte) 0x8a, 0x0a};
    byte[] safetensors = {16, 0, 0, 0, 0, 0, 0, 0, '{', '"'};
    assertFalse(HtmlPage.looksLikeHtml(zip, zip.length));
    assertFalse(HtmlPage.looksLikeHtml(pickle, pickle.length));
    assertFalse(HtmlPage.looksLikeHtml(safetensors, safetensors.length));
  }
}
