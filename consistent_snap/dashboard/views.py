"""Views the panels share."""

from django.urls import reverse
from horizon import forms


class FormView(forms.ModalFormView):
    template_name = 'consistent_snap/form.html'
    form_help = ''

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['form_help'] = self.form_help
        if self.kwargs:
            context['submit_url'] = reverse(self.submit_url,
                                            args=self.kwargs.values())
        return context
