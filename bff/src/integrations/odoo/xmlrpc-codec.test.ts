import {
  decodeMethodCall,
  decodeMethodResponse,
  encodeFault,
  encodeMethodCall,
  encodeMethodResponse,
  XmlRpcDouble,
  XmlRpcMarshalError,
  XmlRpcParseError,
  type XmlRpcValue,
} from './xmlrpc-codec';

describe('xmlrpc-codec', () => {
  describe(encodeMethodCall.name, () => {
    it('round-trips an execute_kw call with Chinese text, nested structs, empty values and booleans', () => {
      const params: XmlRpcValue[] = [
        'drmoto',
        2,
        'pw & <secret>',
        'drmoto.vehicle',
        'search_read',
        [[['plate_normalized', 'ilike', '粤B'], '|', ['active', '=', true], ['active', '=', false]]],
        { fields: [], context: { lang: 'en_US', drmoto_actor: { kind: 'customer', partner_id: 42 }, empty: '' } },
        -3.25,
        0,
      ];
      const xml = encodeMethodCall('execute_kw', params);
      expect(xml.startsWith("<?xml version='1.0'?>\n<methodCall>\n<methodName>execute_kw</methodName>")).toBe(true);
      expect(xml).toContain('<string>pw &amp; &lt;secret&gt;</string>');
      expect(decodeMethodCall(xml)).toEqual({ method: 'execute_kw', params });
    });

    it('decodes a call without params', () => {
      expect(decodeMethodCall('<?xml version="1.0"?><methodCall><methodName>version</methodName></methodCall>')).toEqual({
        method: 'version',
        params: [],
      });
    });
  });

  describe(decodeMethodCall.name, () => {
    it('reads every scalar type, bare values, entities and CDATA', () => {
      const xml = `<?xml version="1.0"?>
<methodCall><methodName>m</methodName><params>
<param><value><i4>-7</i4></value></param>
<param><value><int> 42 </int></value></param>
<param><value><double>1.5</double></value></param>
<param><value><boolean>1</boolean></value></param>
<param><value><boolean>0</boolean></value></param>
<param><value>  bare text  </value></param>
<param><value></value></param>
<param><value><string/></value></param>
<param><value><string>&lt;a&gt; &amp; &#x4e2d;&#25991;</string></value></param>
<param><value><string><![CDATA[<raw>]]></string></value></param>
<param><value><nil/></value></param>
<param><value><dateTime.iso8601>20240305T08:09:10</dateTime.iso8601></value></param>
<param><value><base64>aGVsbG8=</base64></value></param>
<param><value><array><data></data></array></value></param>
<param><value><struct></struct></value></param>
</params></methodCall>`;
      const { params } = decodeMethodCall(xml);
      expect(params).toEqual([
        -7,
        42,
        1.5,
        true,
        false,
        '  bare text  ',
        '',
        '',
        '<a> & 中文',
        '<raw>',
        null,
        new Date(Date.UTC(2024, 2, 5, 8, 9, 10)),
        Buffer.from('hello'),
        [],
        {},
      ]);
    });

    it('rejects malformed XML', () => {
      expect(() => decodeMethodCall('<methodCall><methodName>x</methodCall>')).toThrow(XmlRpcParseError);
    });

    it('rejects an unknown value tag', () => {
      expect(() => decodeMethodCall('<methodCall><methodName>x</methodName><params><param><value><foo>1</foo></value></param></params></methodCall>')).toThrow(
        "unknown XML-RPC tag 'foo'",
      );
    });
  });

  describe(encodeMethodResponse.name, () => {
    it('writes the same layout as Python xmlrpc.client.dumps(methodresponse=1)', () => {
      expect(encodeMethodResponse({ a: [1, 'x'], b: false })).toBe(
        "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n" +
          '<value><struct>\n<member>\n<name>a</name>\n<value><array><data>\n<value><int>1</int></value>\n<value><string>x</string></value>\n</data></array></value>\n</member>\n' +
          '<member>\n<name>b</name>\n<value><boolean>0</boolean></value>\n</member>\n</struct></value>\n' +
          '</param>\n</params>\n</methodResponse>\n',
      );
    });

    it('round-trips nested values with Chinese text', () => {
      const value: XmlRpcValue = [{ id: 1, display_name: '粤B12345', partner_id: [7, 'Zhang San'], tags: [], note: '', ok: true, amount: 12.5 }];
      expect(decodeMethodResponse(encodeMethodResponse(value))).toEqual({ ok: true, value });
    });

    it('writes integral Python floats as doubles when asked', () => {
      expect(encodeMethodResponse(new XmlRpcDouble(25))).toContain('<double>25.0</double>');
      expect(encodeMethodResponse(0.1)).toContain('<double>0.1</double>');
    });

    it('refuses None like Python without allow_none', () => {
      expect(() => encodeMethodResponse(null)).toThrow(new XmlRpcMarshalError('TypeError', 'cannot marshal None unless allow_none is enabled'));
      expect(() => encodeMethodResponse(undefined)).toThrow('cannot marshal None unless allow_none is enabled');
      expect(() => encodeMethodResponse({ a: null })).toThrow(XmlRpcMarshalError);
      expect(encodeMethodResponse(null, { allowNone: true })).toContain('<nil/>');
    });

    it('refuses integers beyond i4 like Python (OverflowError)', () => {
      expect(encodeMethodResponse(2 ** 31 - 1)).toContain('<int>2147483647</int>');
      expect(encodeMethodResponse(-(2 ** 31))).toContain('<int>-2147483648</int>');
      let err: unknown;
      try {
        encodeMethodResponse(2 ** 31);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(XmlRpcMarshalError);
      expect((err as XmlRpcMarshalError).pyType).toBe('OverflowError');
      expect((err as XmlRpcMarshalError).message).toBe('int exceeds XML-RPC limits');
    });

    it('strips XML-illegal control characters like Odoo does', () => {
      expect(encodeMethodResponse('a\u0001b\tc\n')).toContain('<string>ab\tc\n</string>');
    });
  });

  describe(encodeFault.name, () => {
    it('writes a fault struct that decodes back', () => {
      const xml = encodeFault(2, 'DRM_DUP_PHONE: another customer already has this phone number');
      expect(xml).toContain('<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>2</int></value>');
      expect(decodeMethodResponse(xml)).toEqual({
        ok: false,
        faultCode: 2,
        faultString: 'DRM_DUP_PHONE: another customer already has this phone number',
      });
    });
  });

  describe(decodeMethodResponse.name, () => {
    it('decodes a response with whitespace between elements', () => {
      const xml = `<?xml version='1.0'?>
<methodResponse>
  <params>
    <param>
      <value>
        <array>
          <data>
            <value><int>3</int></value>
          </data>
        </array>
      </value>
    </param>
  </params>
</methodResponse>`;
      expect(decodeMethodResponse(xml)).toEqual({ ok: true, value: [3] });
    });

    it('rejects a response without params', () => {
      expect(() => decodeMethodResponse('<methodResponse></methodResponse>')).toThrow(XmlRpcParseError);
    });
  });
});
